"""The heartbeat `voipdesk serve` writes, and what a desktop reads to say when the server was
last seen."""

from __future__ import annotations

import os

from voipdesk.store import Store, database_path


def test_a_heartbeat_is_read_back_and_each_beat_moves_it_forward(tmp_path):
    now = [1000.0]
    with Store(database_path(tmp_path), clock=lambda: now[0]) as store:
        assert store.last_heartbeat() is None  # never seen
        store.beat(started_at=990.0)
        now[0] = 1030.0
        store.beat(started_at=990.0)
        beat = store.last_heartbeat()
    assert beat is not None
    assert (beat.role, beat.pid, beat.started_at, beat.seen_at) == (
        "serve",
        os.getpid(),
        990.0,
        1030.0,
    )
    with Store(database_path(tmp_path)) as again:  # kept: another process reads it
        assert again.last_heartbeat() == beat
        assert again.last_heartbeat("someone else") is None
