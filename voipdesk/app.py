"""Builds the window, then the services on one qasync loop, wires them, and shuts down in stages.

Start-up is staged so that the window paints before the slow imports: this module and what it
imports at the top are only what the first paint needs. asyncio, qasync, httpx and the services
are imported after it, so they appear inside the functions that run on the loop."""

from __future__ import annotations

import gc
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from voipdesk.app_runs import AppRuns
from voipdesk.core import phone_memo
from voipdesk.settings import Settings
from voipdesk.store import StoreDamaged, open_store
from voipdesk.ui import single_instance
from voipdesk.ui.application import app_icon, make_application, wait_until_painted
from voipdesk.ui.main_window import MainWindow
from voipdesk.ui.notice_bar import INFO
from voipdesk.ui.reading import AT_ONCE, Reader

if TYPE_CHECKING:
    import asyncio

    from voipdesk.services import Services
    from voipdesk.store import Store
    from voipdesk.ui.bridge import ServicesBridge
    from voipdesk.ui.tray import Tray
    from voipdesk.ui.tray_link import TrayLink

log = logging.getLogger("voipdesk.app")


class Controller(AppRuns, QObject):
    """Owns one running voipdesk: services, window, tray. Start and stop run once each; the
    run loop, what ends a run and the shutdown are in app_runs.py."""

    def __init__(
        self,
        app: QApplication,
        data_dir: Path,
        *,
        demo: bool = False,
        confirm_quit: bool = True,
        hidden: bool = False,
        database: str | None = None,
    ) -> None:
        super().__init__()
        self.database = database  # a postgresql:// URL: a desk on the shared inbox
        self.waiting_window: QWidget | None = None  # until the shared inbox answers (app_shared)
        self.settings_read: Settings | None = None  # by show_first(), for start() to use
        self.app = app
        self.data_dir = Path(data_dir)
        self.demo = demo
        self.hidden = hidden  # started at login: in the tray, no window until asked for
        self.confirm_quit = confirm_quit
        self.sandbox = None
        self.services: Services | None = None
        self.bridge: ServicesBridge | None = None  # the services' events as signals
        self.window: MainWindow | None = None
        self.tray: Tray | None = None
        self.tray_link: TrayLink | None = None  # unread count and notifications
        self._quit: asyncio.Event | None = None  # made on the loop, by main()
        self._switch_to_demo = False
        self._switch_to_account = False  # from the demo to the user's own folder...
        self._set_up_next = False  # ...where setup opens once it has started
        self.started_in_demo, self.account_lock = demo, None  # (ui/leave_demo.py)
        self._repair = False  # the user chose Repair: the run ends, repairs, starts again
        self.damaged_box: QMessageBox | None = None
        self.repaired_box: QMessageBox | None = None
        self._tray_hint_shown = False
        self._shutting_down = False
        self.settings_problems_box: QMessageBox | None = None
        self.settings_dialog: QDialog | None = None  # open, window-modal

    # -- start --------------------------------------------------------------------------------
    def show_first(self) -> None:
        """The window, painted from the settings file and the store alone, before anything
        that takes a while is imported or started (asyncio, httpx, the listener, the keyring):
        what a user waits for at start is a window with their conversations in it. Both reads
        are local and small (settings.json, one page of the store); the keyring is not read.
        A desk on the shared inbox reads nothing here: its store is a network round trip
        away, so its window is built by start(), with the store opened on a worker."""
        if self.database:
            return
        settings = Settings.load(self.data_dir)
        if settings.database_url.strip():  # Settings → Shared inbox: start() opens it, reading
            self.settings_read = settings  # its password from the keyring on a worker (and
            return  # these settings: the file is read once)
        self._build(settings)
        assert self.window is not None
        if not self.hidden:
            wait_until_painted(self.window)

    def _build(
        self, settings: Settings, reads: Reader = AT_ONCE, store: Store | None = None
    ) -> None:
        """The window for these settings, on their data dir's store, opened at the newest
        conversation, shown. Its store reads go through `reads`: on the loop (start()), a
        Reads, so the window paints before the store answers; before the loop runs
        (show_first()) they are answered at once, before the window first shows."""
        store = store if store is not None else open_store(self._location(settings))
        window = MainWindow(store, settings, app_icon(), demo=self.demo, reads=reads)
        self.window = window
        window.quitRequested.connect(self.request_quit)
        window.settingsRequested.connect(self.open_settings)
        window.setupRequested.connect(self.open_settings)
        window.receivingSetupRequested.connect(lambda: self.open_settings("Receiving"))
        window.demoRequested.connect(self.switch_to_demo)
        window.accountRequested.connect(self.switch_to_account)
        window.hiddenToTray.connect(self._hidden_to_tray)
        nothing_configured = not settings.effective_account_id and not settings.numbers
        window.show_welcome(nothing_configured and not self.demo)
        if not nothing_configured:
            window.open_newest(store, reads is not AT_ONCE, lambda: self.window is window)
        if not self.hidden:
            window.show()

    def _location(self, settings: Settings) -> Path | str:
        """Where the messages are: the shared database, else the data folder's file."""
        return self.database or settings.data_dir

    def attach_services(
        self, credentials: tuple[str, str] | None = None, *, writer: Store | None = None
    ) -> None:
        """The services (not started yet) and the tray, connected to the window."""
        from voipdesk.services import Services
        from voipdesk.services.reads import Reads
        from voipdesk.ui.bridge import ServicesBridge
        from voipdesk.ui.tray import Tray
        from voipdesk.ui.tray_link import TrayLink

        window = self.window
        assert window is not None
        settings = window.settings
        reads = window.reads if isinstance(window.reads, Reads) else None  # (made by start())
        services = Services(
            settings,
            store=window.store,
            writer=writer,
            credentials=credentials,
            reads=reads,
            location=self._location(settings),
        )
        self.services, self.bridge = services, ServicesBridge(services, self)
        window.attach(services, self.bridge)
        self.bridge.databaseDamaged.connect(self._database_damaged)
        self.tray = Tray(window.windowIcon(), self)
        self.tray_link = TrayLink(self.tray, window, services, self.bridge)
        self.tray.openRequested.connect(self.show_window)
        self.tray.quitRequested.connect(self.request_quit)
        self.tray.notificationClicked.connect(self.open_from_notification)
        if self.hidden:  # never unreachable: minimised where the desktop shows no tray icons
            log.info("started in the tray%s", "" if self.tray.available else " (minimised)")
            if not self.tray.available:
                window.showMinimized()
        window.close_to_tray = settings.close_to_tray and self.tray.available

    async def start(self) -> None:
        """Build what show_first() has not (the demo, a restart into it, tests), then start the
        services: outbox, listener, tunnel, the keyring read."""
        import asyncio

        if self.demo:
            from voipdesk import demo  # (the sandbox imports aiohttp: only for the demo)
        if self.window is None:
            # The demo's sandbox and seeding take a while: like every other slow call, they
            # run off the GUI thread (and so does the settings read, here on the loop).
            if self.demo:
                self.sandbox = await asyncio.to_thread(demo.start_sandbox)
                settings = await asyncio.to_thread(demo.demo_settings, self.data_dir)
                settings.api_url = self.sandbox.send_url
                await asyncio.to_thread(demo.seed, settings.data_dir, sandbox_url=self.sandbox.url)
            else:
                settings, self.settings_read = self.settings_read, None  # show_first()'s, once
                settings = settings or await asyncio.to_thread(Settings.load, self.data_dir)
                if not self.database and settings.database_url.strip():
                    # Settings → Shared inbox (--database and VOIPDESK_DATABASE_URL come first),
                    # with its password from the keyring.
                    from voipdesk.settings.database import database_url_to_connect

                    self.database = await asyncio.to_thread(database_url_to_connect, settings)
            from voipdesk.services.reads import Reads

            # Opening a store may take a while (migrations; over a network, a round trip).
            if self.database:  # while the shared inbox does not answer, a window says so
                from voipdesk.app_shared import open_shared

                store = await open_shared(self)
                if store is None:
                    return  # the user quit before it answered
            else:
                store = await asyncio.to_thread(open_store, self._location(settings))
            self._build(settings, Reads(), store)  # (its reads: on a worker, from the start)
        if self.services is None:
            account = demo.DEMO_ACCOUNT if self.demo else None
            assert self.window is not None
            writer = await asyncio.to_thread(open_store, self._location(self.window.settings))
            credentials = (account.account_id, account.api_token) if account else None
            self.attach_services(credentials, writer=writer)
        services, window = self.services, self.window
        assert services is not None and window is not None
        settings = services.settings
        # The window first (it has painted by now, or paints on the next turn of the loop),
        # then what takes a while and is not in it: the listener (aiohttp), the tunnel, the
        # outbox, the keyring.
        await services.start()
        if self.sandbox is not None:
            await self._point_sandbox_at_listener(settings.numbers)
        self._show_settings_problems(settings)
        if self.tray_link is not None:
            self.tray_link.update_unread()
        from voipdesk.started import settle

        await settle(self.data_dir)  # what a start keeps for the next; memory for the run

    def _show_settings_problems(self, settings: Settings) -> None:
        """What could not be used from settings.json, said once at start (not blocking)."""
        problems = list(getattr(settings, "problems", None) or [])
        if not problems or self.window is None:
            return
        from voipdesk.ui.app_boxes import settings_problems_box

        box = settings_problems_box(self.window, problems)
        box.finished.connect(lambda _r: setattr(self, "settings_problems_box", None))
        self.settings_problems_box = box

    async def _point_sandbox_at_listener(self, numbers: list[str]) -> None:
        """The demo's numbers deliver to our listener. SandboxThread.call blocks until the
        sandbox's own loop has run it, so it is called from a worker thread."""
        import asyncio

        sandbox, services = self.sandbox, self.services
        if sandbox is None or services is None:
            return
        url = services.local_webhook_url()
        if url is None:  # the listener did not start; the status bar says why
            return

        def point() -> None:
            for number in numbers:
                sandbox.call(sandbox.sandbox.set_webhook, number, url)

        await asyncio.to_thread(point)

    # -- window and tray ----------------------------------------------------------------------
    def show_window(self) -> None:
        if self.window is None:
            return
        self.window.show()
        self.window.setWindowState(self.window.windowState() & ~Qt.WindowState.WindowMinimized)
        self.window.raise_()
        self.window.activateWindow()

    def open_from_notification(self, conversation_id: int) -> None:
        self.show_window()
        if self.window is not None:
            self.window.show_welcome(False)
            self.window.open_conversation(conversation_id)

    def _hidden_to_tray(self) -> None:
        if not self._tray_hint_shown and self.tray is not None:
            self._tray_hint_shown = True
            self.tray.notify(
                "voipdesk is still running",
                "It keeps receiving your messages here. Quit from this icon's menu.",
                None,
            )

    def open_settings(self, section: str | None = None) -> None:
        """Settings, window-modal (open(), not exec(): no nested loop under qasync); what was
        saved is taken up when it closes with OK."""
        from voipdesk.ui.settings import SettingsDialog
        from voipdesk.ui.settings.blocked import BlockedPage

        if self.window is None or self.services is None:
            return
        if self.settings_dialog is not None:  # open already: in front
            self.settings_dialog.raise_()
            self.settings_dialog.activateWindow()
            return
        blocked = BlockedPage(self.services)  # unblocks at once, not on OK
        dialog = SettingsDialog(
            self.services.settings,
            parent=self.window,
            demo=self.demo,
            pages=[(blocked, "Blocked")],
        )
        dialog.blocked_page = blocked
        if isinstance(section, str):  # (a signal may hand over a bool instead)
            dialog.show_section(section)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._settings_saved(set(dialog.changed_fields())))
        dialog.rejected.connect(self.window.back_to_welcome_if_new)
        dialog.finished.connect(lambda _r: setattr(self, "settings_dialog", None))
        self.settings_dialog = dialog
        dialog.open()

    def _settings_saved(self, changed: set[str]) -> None:
        import asyncio

        if self.window is None or self.services is None:  # shut down meanwhile
            return
        settings = self.services.settings
        applied = self.services.settings_changed(changed)  # secrets read on a worker first
        if self.sandbox is not None and changed & {"webhook_port", "webhook_secret", "numbers"}:
            # The demo's sandbox plays the provider's Numbers page: give it the new URL.
            numbers = list(settings.numbers)

            async def point() -> None:
                await asyncio.wait([applied])  # the listener may restart only after the read
                await self._point_sandbox_at_listener(numbers)

            self.services.spawn(point())
        self.window.update_numbers()
        self.services.notice.emit(INFO, "Settings saved." if changed else "No settings changed.")
        self.window.close_to_tray = settings.close_to_tray and bool(
            self.tray and self.tray.available
        )
        if settings.effective_account_id or settings.numbers:
            self.window.show_welcome(False)


def run(
    data_dir: Path, *, demo: bool = False, hidden: bool = False, database: str | None = None
) -> int:
    """Start the GUI; returns the process exit code."""
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
        and not os.environ.get("QT_QPA_PLATFORM")
    ):
        print(
            "voipdesk: no display found (DISPLAY is not set). Start it from your desktop, "
            "or use `voipdesk listen` / `voipdesk send` on a machine without one.",
            file=sys.stderr,
        )
        return 1
    app = make_application()
    app.setQuitOnLastWindowClosed(False)
    # One app per data folder (the demo's is its own, <data>/demo): a second start brings this
    # one's window to the front instead.
    folder = Path(data_dir) / "demo" if demo else Path(data_dir)
    owned = single_instance.claim(folder)
    if isinstance(owned, int):
        return owned
    try:  # the folder stays ours until the process is done with it, repairs included
        while True:
            try:
                return _run_owned(app, Path(data_dir), folder, demo, hidden, database)
            except StoreDamaged as exc:  # found as it started: say so, offer to repair it
                print(f"voipdesk: {exc}", file=sys.stderr, flush=True)
                from voipdesk.ui.problem_dialog import offer_repair

                if not offer_repair(exc):
                    return 1
    finally:
        owned.release()


def _run_owned(
    app: QApplication,
    data_dir: Path,
    folder: Path,
    demo: bool,
    hidden: bool,
    database: str | None = None,
) -> int:
    controller = Controller(app, data_dir, demo=demo, hidden=hidden, database=database)
    phone_memo.recall(data_dir)  # the numbers as the last run showed them, if it can
    try:
        if not demo:  # (the demo starts its sandbox and seeds its data first, off the GUI thread)
            controller.show_first()
    finally:
        gc.enable()  # (off since cli.main, for the start-up)
    import asyncio

    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    if controller.window is not None:
        controller.attach_services()  # before the loop runs: input then finds them attached
    server = single_instance.RaiseServer(folder, controller.show_window)
    server.start()  # (after the first paint: QtNetwork loads here)
    try:
        with loop:
            return loop.run_until_complete(controller.main())
    finally:
        server.close()
