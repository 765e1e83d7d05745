"""The main window's menus and what they open: a new message, naming a number, importing
contacts, exporting messages, About. Every dialog opens with open() and answers by signal: no
nested event loop runs under the app's asyncio loop."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from voipdesk import __version__
from voipdesk.core.phone import display
from voipdesk.ui.labels import plain_message_box
from voipdesk.ui.notice_bar import INFO
from voipdesk.ui.reading import Latest, Reader
from voipdesk.ui.switching import add_switching

if TYPE_CHECKING:
    from voipdesk.ui.main_window import MainWindow


def opened(dialog: QDialog) -> QDialog:
    """Open a dialog window-modal without a nested event loop; it is deleted once closed."""
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def answered_while_open(dialog: QDialog, reads: Reader, read, arrived) -> None:
    """read() on the window's reads worker; arrived(result) unless the dialog closed meanwhile."""
    latest = Latest()
    dialog.finished.connect(lambda _result: latest.drop())
    latest.ask(reads, read, arrived)


def say(parent: QWidget, icon: QMessageBox.Icon, title: str, text: str, more: str = "") -> None:
    box = plain_message_box(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    if more:
        box.setInformativeText(more)
    opened(box)


class WindowActions:
    """Builds the window's menus and carries out their commands."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window

    # -- menus ----------------------------------------------------------------------------------
    def build_menus(self) -> None:
        w = self.window
        file_menu = w.menuBar().addMenu("&File")
        w.new_action = self._action(
            file_menu, "&New message…", QKeySequence.StandardKey.New, self.new_message
        )
        file_menu.addSeparator()
        self._action(file_menu, "&Import contacts…", None, self.import_contacts)
        self._action(file_menu, "&Export messages…", None, self.export_messages)
        file_menu.addSeparator()
        if not w.demo:  # the demo again, from an account or the welcome page (its own folder)
            w.demo_action = self._action(file_menu, "Try the &demo", None, w.demoRequested.emit)
            file_menu.addSeparator()
        else:  # and back: a real account (ui/leave_demo.py)
            w.account_action = self._action(
                file_menu, "Set up my &account…", None, w.accountRequested.emit
            )
            file_menu.addSeparator()
        # (Windows, and Qt without a desktop theme, have no standard Quit key: Ctrl+Q there too.)
        quit_key = QKeySequence.keyBindings(QKeySequence.StandardKey.Quit) or [
            QKeySequence("Ctrl+Q")
        ]
        self._action(file_menu, "&Quit", quit_key, w.quitRequested.emit)
        edit_menu = w.menuBar().addMenu("&Edit")
        self._action(
            edit_menu, "&Find…", QKeySequence.StandardKey.Find, w.conversations.focus_search
        )
        self._action(edit_menu, "&Settings…", QKeySequence("Ctrl+,"), w.settingsRequested.emit)
        view_menu = w.menuBar().addMenu("&View")
        self._action(view_menu, "&Connection…", None, w.show_connection)
        view_menu.addSeparator()
        add_switching(w, view_menu)  # Ctrl+Tab, Alt+↑/↓, Ctrl+1…9
        help_menu = w.menuBar().addMenu("&Help")
        self._action(help_menu, "&About voipdesk", None, self.about)

    def _action(self, menu, text: str, shortcut, slot) -> QAction:
        action = QAction(text, self.window)
        if isinstance(shortcut, list):
            action.setShortcuts(shortcut)
        elif shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    # -- commands -------------------------------------------------------------------------------
    def new_message(self, own: str = "", peer: str = "", text: str = "") -> None:
        """New message (filled in with what could not be sent, when given)."""
        from voipdesk.ui.new_message import NewMessageDialog

        w = self.window
        settings = w.settings
        if not settings.numbers:
            say(
                w,
                QMessageBox.Icon.Information,
                "Add your number first",
                "Add your VoIP Number SMS number in Settings before starting a conversation.",
            )
            w.settingsRequested.emit()
            return
        dialog = NewMessageDialog(settings.effective_country, {}, list(settings.numbers), parent=w)
        if peer:
            dialog.to_edit.setText(display(peer, settings.effective_country))
            dialog.from_combo.setCurrentIndex(max(0, dialog.from_combo.findData(own)))
            dialog.text_edit.setPlainText(text)
        # The names it offers are read on a worker and come in a moment after it opens.
        answered_while_open(dialog, w.thread.reads, w.store.contacts, dialog.set_contacts)
        dialog.accepted.connect(
            lambda: w.services.spawn(
                self._start(dialog.sender(), dialog.recipient(), dialog.text(), dialog.send_at())
            )
        )
        opened(dialog)

    async def _start(self, own: str, peer: str, text: str, send_at: float | None) -> None:
        """The New message dialog's answer: send now, or (its clock) schedule and open."""
        from voipdesk.store import StoreUnavailable

        w = self.window
        try:
            if send_at is None:
                await w.start_conversation(own, peer, text)
                return
            await w.services.scheduling.schedule(own, peer, text, send_at)
        except StoreUnavailable as exc:  # not started, so not sent: said, and the text kept
            from voipdesk.services.send_refused import send_refused

            refused = send_refused(own, peer, text, exc, shared=w.services.shared)
            w.show_notice("warning", refused.sentence)
            self.new_message(own, peer, text)
            return
        await w.start_conversation(own, peer, "")

    def rename_contact(self, number: str) -> None:
        from PySide6.QtWidgets import QInputDialog  # (the dialogs' types: when first opened)

        w = self.window
        dialog = QInputDialog(w)
        dialog.setWindowTitle("Name this number")
        dialog.setLabelText(f"Name for {display(number, w.settings.effective_country)}:")
        store = w.store

        def arrived(name: str | None) -> None:  # read on a worker: unless typed over meanwhile
            if name and not dialog.textValue():
                dialog.setTextValue(name)

        answered_while_open(dialog, w.thread.reads, lambda: store.contact_name(number), arrived)
        dialog.textValueSelected.connect(
            lambda name: w.services.set_contact(number, name.strip() or None)
        )
        opened(dialog)

    def import_contacts(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        dialog = QFileDialog(
            self.window,
            "Import contacts",
            str(Path.home()),
            "Contacts (*.vcf *.csv);;All files (*)",
        )
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(
            lambda path: self.window.services.spawn(self._import(Path(path))) if path else None
        )
        opened(dialog)

    async def _import(self, path: Path) -> None:
        w = self.window
        try:
            count, problems = await w.services.import_contacts(path)
        except (OSError, ValueError) as exc:
            say(w, QMessageBox.Icon.Warning, "Import contacts", str(exc))
            return
        icon = QMessageBox.Icon.Information if count else QMessageBox.Icon.Warning
        more = skipped_summary(problems) if problems else ""
        say(w, icon, "Import contacts", import_summary(count, path.name), more)

    def export_messages(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        dialog = QFileDialog(
            self.window,
            "Export messages",
            str(Path.home() / "voipdesk-messages.json"),
            "JSON (*.json);;CSV (*.csv)",
        )
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)

        def chosen(path: str) -> None:
            if not path:
                return
            csv = path.lower().endswith(".csv") or dialog.selectedNameFilter().startswith("CSV")
            self.window.services.spawn(self._export(Path(path), "csv" if csv else "json"))

        dialog.fileSelected.connect(chosen)
        opened(dialog)

    async def _export(self, path: Path, fmt: str) -> None:
        w = self.window
        try:
            count = await w.services.export(path, fmt)
        except OSError as exc:
            say(w, QMessageBox.Icon.Warning, "Export messages", f"Could not write {path}: {exc}")
            return
        messages = "1 message" if count == 1 else f"{count} messages"
        w.services.notice.emit(INFO, f"Exported {messages} to {path}")

    def about(self) -> None:
        box = QMessageBox(self.window)
        box.setWindowTitle("About voipdesk")
        box.setIconPixmap(self.window.windowIcon().pixmap(64, 64))
        box.setText(
            f"voipdesk {__version__}\nText from your computer with your VoIP Number account."
        )
        opened(box)


def import_summary(count: int, file_name: str) -> str:
    """The first line after a contacts import, in plain words (singular and plural right)."""
    if count == 0:
        return f"No contact names with a usable number were found in {file_name}."
    names = "1 contact name" if count == 1 else f"{count} contact names"
    return f"Imported {names} from {file_name}."


def skipped_summary(problems: list[str], shown: int = 10) -> str:
    """Which entries were left out and why (the first few, then how many more)."""
    count = len(problems)
    head = "1 entry was skipped:" if count == 1 else f"{count} entries were skipped:"
    lines = [head, *problems[:shown]]
    if count > shown:
        lines.append(f"…and {count - shown} more.")
    return "\n".join(lines)
