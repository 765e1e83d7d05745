"""Message search: the paged results model and the snippets."""

from PySide6.QtCore import QModelIndex

from tests.ui.conversations_support import ALICE, BOB
from voipdesk.ui.search import SearchResultsModel, SearchRole, match_ranges, snippet


def test_search_model_pages_and_passes_modeltester(qtmodeltester, seed, clock):
    for i in range(7):
        clock.advance(60)
        seed.inbound(ALICE, f"pizza number {i}")
    seed.inbound(BOB, "no match")
    model = SearchResultsModel(seed.store, page=3)
    qtmodeltester.check(model)
    model.set_query("pizza")
    assert model.rowCount() == 3
    bodies = [model.index(r, 0).data(SearchRole.Message).body for r in range(3)]
    assert bodies == ["pizza number 6", "pizza number 5", "pizza number 4"]
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 7
    model.set_query("")
    assert model.rowCount() == 0
    qtmodeltester.check(model)


def test_snippet_starts_near_the_match():
    body = "word " * 20 + "the Tickets are here"
    text = snippet(body, "tick")
    assert text.startswith("…") and "Tickets" in text and len(text) < len(body)
    start, length = match_ranges(text, "tick")[0]
    assert text[start : start + length] == "Tickets"
