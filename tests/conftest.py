"""For every test: a config folder of its own; the app's qasync loop for the test folders that run
widgets on it (tests/app, tests/ui)."""

import asyncio
import atexit
import os
import shutil
import tempfile

import pytest

# The app writes a start-at-login entry (voipdesk/autostart.py) under XDG_CONFIG_HOME: never
# into the real user's ~/.config from a test, nor from the app processes tests start.
_CONFIG = tempfile.mkdtemp(prefix="voipdesk-tests-config-")
os.environ["XDG_CONFIG_HOME"] = _CONFIG
atexit.register(shutil.rmtree, _CONFIG, True)


@pytest.fixture(scope="session")
def qasync_loop(qapp):
    # One QEventLoop for the session (qasync cannot be re-created per test under pytest-qt);
    # never loop.stop(): it would quit the QApplication.
    import qasync

    from voipdesk.app import make_application

    loop = qasync.QEventLoop(make_application(), already_running=True)
    yield loop
    # Join the loop's worker threads (asyncio.to_thread) before Qt tears down.
    executor = loop._QEventLoop__default_executor
    if executor is not None:
        executor.shutdown(wait=True)


@pytest.fixture
def aio(qasync_loop, qtbot):
    """Run coroutines on the app's loop while Qt processes events; the loop counts as running
    only during the test, so other tests can still use asyncio.run()."""
    asyncio.events._set_running_loop(qasync_loop)
    asyncio.set_event_loop(qasync_loop)

    def run(coro, timeout: float = 15.0):
        future = asyncio.ensure_future(coro)
        qtbot.waitUntil(future.done, timeout=int(timeout * 1000))
        return future.result()

    yield run
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)


@pytest.fixture
def media_server():
    """A local HTTP server for an MMS's media links (tests/media_server.py)."""
    from tests.media_server import MediaServer

    server = MediaServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_cluster():
    """A private PostgreSQL server for this test session (tests/pg_support.py). Without the
    server binaries the tests that use it skip, saying how to install them; in CI they fail."""
    from tests.pg_support import INSTALL_SENTENCE, Cluster, server_bindir, stop_leftovers

    bindir = server_bindir()
    if bindir is None:
        if os.environ.get("CI") == "true":
            pytest.fail(INSTALL_SENTENCE, pytrace=False)
        pytest.skip(INSTALL_SENTENCE)
    stop_leftovers(bindir)  # clusters of earlier sessions killed before their teardown
    cluster = Cluster(bindir)
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster):
    """The URL of a fresh, empty place of this test's own on the private server: a schema of
    its own (the URL sets search_path), in a database the tests share."""
    url = pg_cluster.new_schema()
    yield url
    pg_cluster.drop_schema(url)


@pytest.fixture
def own_cluster(pg_cluster):
    """A private server of this test's own, to stop and start (the session's serves the
    others). pg_cluster first: it skips (or fails in CI) without the server binaries."""
    from tests.pg_support import Cluster, server_bindir

    bindir = server_bindir()
    assert bindir is not None
    cluster = Cluster(bindir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
