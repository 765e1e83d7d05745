"""Guard for the PySide6 6.12.0 crash on CPython < 3.12 ("none_dealloc"): data() returning None
a few thousand times through Qt's C++ side frees None. Each model here answers well over that
many such calls; on an affected PySide6 this test kills the test run, which is the point."""

from PySide6.QtCore import QModelIndex, Qt

from voipdesk.ui.conversations import ConversationListModel
from voipdesk.ui.search import SearchResultsModel
from voipdesk.ui.thread import ThreadModel

CALLS = 21_000
UNSET_ROLES = (
    Qt.ItemDataRole.DecorationRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.FontRole,
    Qt.ItemDataRole.CheckStateRole,
    999,
    int(Qt.ItemDataRole.UserRole) + 500,
)


def hammer(model) -> int:
    """Call data() through C++ (QModelIndex.data), not the Python method directly."""
    rows = model.rowCount()
    assert rows > 0
    nones = 0
    for i in range(CALLS):
        index = model.index(i % rows, 0)
        nones += index.data(UNSET_ROLES[i % len(UNSET_ROLES)]) is None
    nones += QModelIndex().data(Qt.ItemDataRole.DisplayRole) is None
    return nones


def seeded(seed, clock):
    for i in range(30):
        clock.advance(60)
        seed.inbound(f"+4477009005{i % 5:02d}", f"lunch plans {i}")
    return seed.conversation_id("+447700900500")


def test_conversation_model_survives_many_none_data_calls(seed, clock):
    seeded(seed, clock)
    assert hammer(ConversationListModel(seed.store)) == CALLS + 1


def test_search_model_survives_many_none_data_calls(seed, clock):
    seeded(seed, clock)
    model = SearchResultsModel(seed.store)
    model.set_query("lunch")
    assert hammer(model) == CALLS + 1


def test_thread_model_survives_many_none_data_calls(seed, clock):
    model = ThreadModel(seed.store, seeded(seed, clock))
    assert hammer(model) == CALLS + 1
