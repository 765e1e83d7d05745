"""One run after another of the app's Controller: run until the user quits, what ends a run
(quitting, after asking when it would stop something; a repair; switching between the demo and
the user's own account) and the staged shutdown between runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from voipdesk.store import database_path

if TYPE_CHECKING:
    import asyncio


class AppRuns:
    """The Controller's part that runs it, ends a run and starts the next (see app.py)."""

    _quit: asyncio.Event | None  # made on the loop, by main()

    async def main(self) -> int:
        """Run until the user quits; returns the exit code."""
        import asyncio

        while True:
            self._quit = asyncio.Event()
            await self.start()
            if self._set_up_next:
                from voipdesk.ui.leave_demo import after_start

                self._set_up_next = False
                after_start(self)
            if self.repaired_box is not None and self.repaired_box.isVisible():
                # Said before the window came back: keep it in front of the window.
                self.repaired_box.raise_()
                self.repaired_box.activateWindow()
            await self._quit.wait()
            await self.shutdown()
            if self._repair:
                from voipdesk.ui.problem_dialog import repair_async

                self._repair, self._shutting_down = False, False
                self.repaired_box = await repair_async(database_path(self.data_dir))
                if self.repaired_box is None:
                    return 1  # (the window that said why has been closed)
                continue
            if self._switch_to_account:
                self._switch_to_account, self._set_up_next = False, True
                self.demo, self._shutting_down = False, False
                continue
            if not self._switch_to_demo:
                return 0
            self._switch_to_demo, self.demo = False, True
            self._shutting_down = False

    def _end_run(self) -> None:
        if self._quit is not None:
            self._quit.set()

    def request_quit(self) -> None:
        """Quit: at once, or after asking when it would stop receiving or a send on its way.
        What is on its way is read on the window's reads worker first (a store that does not
        answer does not hold Quit up: then only what is known is said)."""
        services, window = self.services, self.window
        if not self.confirm_quit or services is None or window is None or self._shutting_down:
            self._end_run()
            return

        def answer(outbox: list) -> None:
            from voipdesk.ui.app_boxes import ask_to_quit
            from voipdesk.ui.quitting import what_quitting_stops

            if self.services is not services or self._shutting_down:
                return  # (this run ended meanwhile)
            reasons = what_quitting_stops(services, outbox, demo=self.demo)
            if reasons:
                ask_to_quit(window, self._end_run, reasons)
            else:
                self._end_run()

        window.reads.request(services.store.outbox, answer, lambda _exc: answer([]))

    def _database_damaged(self, damaged) -> None:  # StoreDamaged: say why, offer Repair
        from voipdesk.ui.problem_dialog import ask_to_repair

        if self.window is not None:
            self.show_window()
            self.damaged_box = ask_to_repair(damaged, self.window, self._repair_now)

    def _repair_now(self) -> None:
        self._repair = True
        self._end_run()

    def switch_to_demo(self) -> None:
        self._switch_to_demo = True
        self._end_run()

    def switch_to_account(self) -> None:
        from voipdesk.ui.leave_demo import may_leave

        if self.demo and may_leave(self):
            self._switch_to_account = True
            self._end_run()

    async def shutdown(self) -> None:
        """Staged: hide the window, stop tunnel, listener (in-flight finish), tasks, store."""
        import asyncio

        if self._shutting_down:
            return
        self._shutting_down = True
        if self.window is not None:
            if self.window.conversation_id is not None and self.services is not None:
                await self.services.set_draft(
                    self.window.conversation_id, self.window.compose.draft()
                )
            self.window.close_to_tray = False
            self.window.hide()
        if self.tray is not None:
            self.tray.close()
        if self.services is not None:
            await self.services.stop()
        elif self.window is not None:
            await asyncio.to_thread(self.window.store.close)
        if self.sandbox is not None:
            await asyncio.to_thread(self.sandbox.stop)
            self.sandbox = None
        if self.window is not None:
            self.window.deleteLater()
        if self.tray is not None:
            self.tray.deleteLater()
        if self.bridge is not None:
            self.bridge.deleteLater()
        self.window = self.services = self.bridge = self.tray = self.tray_link = None
