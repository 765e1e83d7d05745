"""The tests' private PostgreSQL server: a cluster left by a killed test session is stopped."""

from __future__ import annotations

import psycopg


def test_a_cluster_left_by_a_killed_test_session_is_stopped_by_the_next(pg_cluster):
    import subprocess
    import sys

    from tests.pg_support import OWNER, Cluster, stop_leftovers

    left = Cluster(pg_cluster.bindir)
    left.start()
    try:
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()  # a session that ended without its teardown
        (left.dir / OWNER).write_text(str(dead.pid))
        assert (left.data / "postmaster.pid").exists()  # still running
        assert stop_leftovers(pg_cluster.bindir) == [left.dir]
        assert not left.dir.exists()
        assert pg_cluster.dir.exists()  # this session's own is left alone
        with psycopg.connect(pg_cluster.url()) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        left.stop()
