"""The app's qasync loop, for every test folder that runs widgets on it (tests/app, tests/ui)."""

import asyncio

import pytest


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
