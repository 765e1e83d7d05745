"""`voipdesk --self-test`: the whole app offscreen against an in-process sandbox, end to end."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path

TIMEOUT = 15.0


class StepFailed(Exception):
    pass


async def _until(what: str, check: Callable[[], object], timeout: float = TIMEOUT) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise StepFailed(f"timed out after {timeout:.0f} s waiting for {what}")


async def _steps(controller, say: Callable[[str], None]) -> None:
    from voipdesk import demo
    from voipdesk.core.models import Status
    from voipdesk.ui.conversations import ConversationRole
    from voipdesk.ui.thread import MessageRole

    step = "start the app"
    try:
        await controller.start()
        services, window, sandbox = controller.services, controller.window, controller.sandbox
        say(f"{step}: ok")

        step = "desktop notifications"
        from desktop_notifier.main import get_backend_class

        say(f"{step}: ok ({get_backend_class().__name__})")  # the backend loads (bundled)

        step = "shared inbox driver"
        say(f"{step}: ok ({_shared_store_driver()})")

        step = "listener on a free port"
        if services.listener is None:
            raise StepFailed(services.receiving.listener_error or "the listener did not start")
        say(f"{step}: ok (127.0.0.1:{services.listener.port})")

        step = "receive a webhook"
        body = f"self-test inbound {uuid.uuid4().hex[:8]}"
        record = await asyncio.to_thread(sandbox.deliver, "+447700900777", demo.OWN, body)
        if record.status != 200:
            raise StepFailed(f"the listener answered {record.status} ({record.error})")
        model = window.conversation_model

        def shown() -> int | None:
            for row in range(model.rowCount()):
                index = model.index(row, 0)
                if model.data(index, ConversationRole.LastBody) == body:
                    return model.data(index, ConversationRole.Id)
            return None

        conversation_id = await _until("the message in the conversation list", shown)
        say(f"{step}: ok (shown in the conversation list)")

        step = "send a message"
        window.open_conversation(conversation_id)  # read, then shown
        await _until(
            "the conversation to open",
            lambda: window.conversation_id == conversation_id and not window.thread.opening,
        )
        text = f"self-test outbound {uuid.uuid4().hex[:8]}"
        window.compose.sendRequested.emit(demo.OWN, text)
        await _until(
            "the sandbox to record the message",
            lambda: any(r.body == text for r in sandbox.call(lambda: list(sandbox.sandbox.sent))),
        )
        thread_model = window.thread.model

        def sent() -> bool:
            for row in range(thread_model.rowCount()):
                index = thread_model.index(row, 0)
                if thread_model.data(index, MessageRole.Body) == text:
                    status = thread_model.data(index, MessageRole.Status)
                    return status in (Status.QUEUED, Status.DELIVERED)
            return False

        await _until("the bubble to turn sent", sent)
        say(f"{step}: ok (sandbox recorded it; bubble shows sent)")
    except StepFailed as exc:
        raise StepFailed(f"{step}: {exc}") from None
    except Exception as exc:
        raise StepFailed(f"{step}: {type(exc).__name__}: {exc}") from exc


def _shared_store_driver() -> str:
    """The PostgreSQL backend (store/pg/) loads with psycopg's compiled driver and its libpq:
    what a frozen bundle misses first (hidden imports, bundled libraries)."""
    import psycopg
    import psycopg_pool  # noqa: F401 - the store's pool

    from voipdesk.store.pg.store import PgStore  # noqa: F401 - the whole backend imports

    if psycopg.pq.__impl__ != "binary":
        raise StepFailed(f"psycopg uses its {psycopg.pq.__impl__} driver, not the binary one")
    libpq = psycopg.pq.version()
    return f"psycopg {psycopg.__version__}, libpq {libpq // 10000}.{libpq % 10000}"


def run(*, verbose: bool = False) -> int:
    """Run the self-test; 0 when every step worked, 1 with the failing step otherwise."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync

    from voipdesk.app import Controller, make_application
    from voipdesk.logs import setup_logging

    def say(text: str) -> None:
        print(f"self-test: {text}", flush=True)

    with tempfile.TemporaryDirectory(prefix="voipdesk-selftest-") as tmp:
        setup_logging(Path(tmp), verbose=verbose)
        app = make_application()
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        controller = Controller(app, Path(tmp), demo=True, confirm_quit=False)

        async def main() -> int:
            try:
                await _steps(controller, say)
                code = 0
            except StepFailed as exc:
                print(f"self-test FAILED at {exc}", file=sys.stderr, flush=True)
                code = 1
            finally:
                await controller.shutdown()
            if code == 0:
                say("all steps passed")
            return code

        try:
            with loop:
                return loop.run_until_complete(main())
        except Exception:
            # The self-test is read by whoever checks an install (and CI): the whole story.
            print("self-test FAILED with an unexpected error:", file=sys.stderr, flush=True)
            traceback.print_exc()
            return 1
