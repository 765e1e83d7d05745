"""Query plans: the queries the app runs all the time are index lookups, on a big real file.

Speed is asserted through the plan and through SQLite's own count of virtual-machine steps
(a progress handler), never through wall-clock time, so the tests hold on a slow CI machine.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator

import pytest

from voipdesk.core.models import Status
from voipdesk.store import Store, database_path

from .bigfile import OWN, fill, peer

MESSAGES = 200_000
CONVERSATIONS = 1_000
STEP = 1_000  # VM instructions per progress-handler call
# A full scan of 200k messages costs about 600 calls; the lookups below cost one or two.
LOOKUP_BUDGET = 25


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Iterator[Store]:
    path = database_path(tmp_path_factory.mktemp("big"))
    fill(path, MESSAGES, CONVERSATIONS)
    with Store(path) as s:
        assert s.message_count() == MESSAGES
        yield s


@pytest.fixture
def empty(tmp_path) -> Iterator[Store]:
    with Store(database_path(tmp_path)) as s:
        yield s


def run_traced(store: Store, call: Callable[[], object]) -> tuple[object, list[str], int]:
    """Run a store call; return its result, the SELECTs it ran (values inlined) and its cost."""
    conn = store._conn
    statements: list[str] = []
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    conn.set_trace_callback(statements.append)
    conn.set_progress_handler(tick, STEP)
    try:
        result = call()
    finally:
        conn.set_trace_callback(None)
        conn.set_progress_handler(None, STEP)
    # FTS5's own statements on its shadow tables ('main'.'messages_fts_...') are not ours.
    selects = [
        s for s in statements if s.lstrip().upper().startswith("SELECT") and "'main'." not in s
    ]
    return result, selects, steps[0]


def plan(store: Store, sql: str) -> list[str]:
    conn = sqlite3.connect(store.path)
    try:
        return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
    finally:
        conn.close()


def assert_lookups(store: Store, selects: list[str], *, sorts_few: bool = False) -> None:
    """No scan of messages in any plan; no sort of all matches unless the rows are few
    by construction (`sorts_few`: the outbox, never the history)."""
    assert selects
    for sql in selects:
        details = plan(store, sql)
        text = "\n".join(details)
        for line in details:
            # The FTS5 table is always "SCAN f VIRTUAL TABLE INDEX ...": that is its index.
            if line.startswith("SCAN") and "VIRTUAL TABLE" not in line:
                assert "USING INDEX" in line or "USING COVERING INDEX" in line, f"{sql}\n{text}"
                assert not line.startswith(("SCAN m ", "SCAN messages")), f"{sql}\n{text}"
            assert not line.startswith(("SCAN m", "SCAN messages")), f"{sql}\n{text}"
        if not sorts_few:
            assert "USE TEMP B-TREE" not in text, f"sorts every match: {sql}\n{text}"


# -- the plans, on an empty file (what the planner does without statistics) --------------------
def test_plan_of_the_newest_page_uses_the_thread_index(empty):
    cid = empty.conversation_for(OWN, peer(1)).id
    _, selects, _ = run_traced(empty, lambda: empty.messages(cid, limit=50))
    [sql] = selects
    details = plan(empty, sql)
    assert any("SEARCH m USING INDEX messages_thread" in d for d in details), details
    assert_lookups(empty, selects)


def test_plan_of_a_search_uses_the_fts_index_newest_first(empty):
    _, selects, _ = run_traced(empty, lambda: empty.search("hello wor"))
    [sql] = selects
    details = plan(empty, sql)
    assert any(d.startswith("SCAN f VIRTUAL TABLE") for d in details), details
    assert any("SEARCH m USING INTEGER PRIMARY KEY" in d for d in details), details
    assert_lookups(empty, selects)


# -- the same on 200k messages with statistics ------------------------------------------------
def test_newest_page_of_a_big_thread(big):
    page, selects, steps = run_traced(big, lambda: big.messages(1, limit=50))
    assert len(page) == 50
    assert [m.id for m in page] == sorted(m.id for m in page)
    assert page[-1].id == big.conversation(1).last_message_id
    assert_lookups(big, selects)
    assert steps <= LOOKUP_BUDGET


def test_an_older_page_of_a_big_thread(big):
    newest = big.messages(1, limit=50)
    page, selects, steps = run_traced(
        big, lambda: big.messages(1, before_id=newest[0].id, limit=50)
    )
    assert len(page) == 50 and page[-1].id < newest[0].id
    assert_lookups(big, selects)
    assert steps <= LOOKUP_BUDGET


@pytest.mark.parametrize("text", ["hello", "b", "hello lun", "zebra", 'party"*(-NEAR'])
def test_newest_first_search_on_a_big_file(big, text):
    found, selects, steps = run_traced(big, lambda: big.search(text, limit=50))
    ids = [m.id for m in found]
    assert ids == sorted(ids, reverse=True)
    if text in ("hello", "b", "hello lun"):
        assert len(found) == 50  # thousands match; only the newest 50 are read
    assert_lookups(big, selects)
    assert steps <= LOOKUP_BUDGET


def test_conversation_list_on_a_big_file(big):
    convs, selects, steps = run_traced(big, lambda: big.conversations(limit=50))
    assert len(convs) == 50
    assert_lookups(big, selects)
    assert steps <= LOOKUP_BUDGET


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.due_pending(2e9),
        lambda s: s.next_retry_at(),
        lambda s: s.outbox(),
        lambda s: s.recover_interrupted(),
    ],
    ids=["due_pending", "next_retry_at", "outbox", "recover_interrupted"],
)
def test_outbox_queries_do_not_scan_the_history(big, call):
    # The retry loop and every start-up run these; with a long history they must not read it.
    _, selects, steps = run_traced(big, lambda: call(big))
    assert_lookups(big, selects, sorts_few=True)
    assert steps <= LOOKUP_BUDGET


def test_a_pending_message_among_200k_is_found(big):
    msg = big.add_outgoing(OWN, peer(5), "waiting")
    try:
        big.update_outgoing(msg.id, status=Status.PENDING, next_attempt_at=10.0)
        assert [m.id for m in big.due_pending(11.0)] == [msg.id]
        assert big.next_retry_at() == 10.0
    finally:
        big.delete_message(msg.id)
