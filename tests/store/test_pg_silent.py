"""A query already running when its pooled connection goes silent (a route that takes the bytes
and forwards nothing, as a router or NAT that forgot the connection: no FIN, no RST) ends with
the store's "cannot reach" within a bounded time, and the store reconnects by itself; before,
only the check made before a connection is used had a deadline, and such a read waited for
ever."""

from __future__ import annotations

import threading
import time

import psycopg

from tests.pg_support import TESTS_DB, schema_name
from tests.services.test_pg_faults import BlackHoleProxy
from voipdesk.store import StoreUnavailable, open_store
from voipdesk.store.pg.deadline import CALL_WITHIN_S

from .conftest import inbound

BOUND = 30.0  # seconds: a silent network is noticed within this, whatever the store is doing


def test_a_read_in_flight_when_its_connection_goes_silent_ends_unavailable_and_reconnects(
    pg_cluster, pg_url
):
    assert CALL_WITHIN_S <= BOUND
    proxy = BlackHoleProxy(f"{pg_cluster.dir}/.s.PGSQL.{pg_cluster.port}")
    via_proxy = (
        f"postgresql://{pg_cluster.user}@127.0.0.1:{proxy.port}/{TESTS_DB}"
        f"?options=-csearch_path%3D{schema_name(pg_url)}"
    )
    done: dict[str, object] = {}
    try:
        with open_store(via_proxy, sends=False) as store:
            store.answer_within = 2.0  # (the test's own bound, to be quick; CALL_WITHIN_S else)
            store.add_inbound(inbound("before the silence"))
            with psycopg.connect(pg_url) as holder:
                # The read waits on the server behind this lock: in flight when the route goes
                # silent, and answered by the server (into the silence) once the lock goes.
                holder.execute("LOCK TABLE conversations IN ACCESS EXCLUSIVE MODE")

                def read() -> None:
                    started = time.monotonic()
                    try:
                        done["read"] = store.conversations()
                    except StoreUnavailable as exc:
                        done["error"] = exc
                    done["took"] = time.monotonic() - started

                reader = threading.Thread(target=read, daemon=True)
                reader.start()
                waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                deadline = time.monotonic() + 10
                while holder.execute(waiting).fetchone()[0] == 0:
                    assert time.monotonic() < deadline, "the read never reached the server"
                    time.sleep(0.02)
                assert proxy.black_hole() >= 1
                time.sleep(0.3)  # (each pump past its last select: nothing more goes through)
                holder.rollback()  # the lock goes: the answer is sent, and goes nowhere
            reader.join(BOUND)
            assert "took" in done, f"the read waited on a silent connection for {BOUND} s"
            assert "cannot reach" in str(done.get("error")), done
            assert done["took"] < 2.0 + 10  # its own bound, and a busy machine's margin
            # Connections made now are forwarded again: the store goes on by itself.
            assert [c.last_body for c in store.conversations()] == ["before the silence"]
    finally:
        proxy.close()
