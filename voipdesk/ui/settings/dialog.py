"""The settings dialog: account, receiving, general and advanced settings, each saying where its
value comes from; bad values get a sentence beside their field. OK saves off the GUI thread
(voipdesk.settings.edit does the checking, saving and rolling back).

The keyring is read and the settings are written with asyncio.to_thread on the app's loop (the
qasync loop, running on the GUI thread): the dialog is made while it runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

import shiboken6
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QCloseEvent, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from voipdesk import autostart
from voipdesk.settings import SecretsRead, Settings
from voipdesk.settings.edit import SaveResult, SettingsEdit, account_problems, check, domain_only
from voipdesk.ui import theme
from voipdesk.ui.labels import plain_label
from voipdesk.ui.settings.form import Form, scrolling
from voipdesk.ui.settings.pages import AccountPage, AdvancedPage, GeneralPage, ReceivingPage
from voipdesk.ui.settings.shared import SharedInboxPage

log = logging.getLogger("voipdesk.app")
T = TypeVar("T")

SECTIONS = ("Account", "Receiving", "General", "Shared inbox", "Advanced")
DEMO_NOTICE = (
    "This is the demo account: its token is built in and nothing leaves this computer. "
    "Your own account is set up when you start voipdesk without the demo."
)


class SettingsDialog(QDialog):
    """Edits a Settings object; on OK validates, saves (off the GUI thread, showing “Saving…”)
    and then accepts; changed_fields() says what changed."""

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        demo: bool = False,
        pages: Sequence[tuple[QWidget, str]] = (),
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.demo = demo
        self.setWindowTitle("Settings")
        self._changed: set[str] = set()
        self._saving = False
        self._saved: set[str] | None = None
        self._pending: SettingsEdit | None = None
        self._secrets_ready = False
        # Where secrets are kept, as read on the worker thread; never asked of the store on the
        # GUI thread (finding the keyring backend imports it and may talk to D-Bus).
        self._keyring: SecretsRead | None = None
        self._loop = asyncio.get_running_loop()  # the app's: raises if there is none
        self._tasks: set[asyncio.Task] = set()

        self.notice = QFrame()
        self.notice.setAutoFillBackground(True)
        self.notice.setAccessibleName("Where your secrets are kept")
        self.notice_label = plain_label(wrap=True)
        notice_layout = QHBoxLayout(self.notice)
        notice_layout.setContentsMargins(12, 8, 12, 8)
        notice_layout.addWidget(self.notice_label)
        if demo:
            self.notice_label.setText(DEMO_NOTICE)
            self.notice.setAccessibleName("About the demo account")
        else:  # said once the keyring has been found, off the GUI thread (_secrets_loaded)
            self.notice.hide()
        self.save_error = plain_label(wrap=True, name="Problem saving")
        self.save_error.hide()
        self.saving_label = plain_label(wrap=True, name="Saving")
        self.saving_label.hide()

        form = self._form = Form()
        self._errors = form.errors  # field name -> the sentence beside it
        self._env_notes = form.env_notes
        account = AccountPage(form, settings, self._country)
        receiving = self.receiving = ReceivingPage(form, settings)
        general = GeneralPage(form, settings)
        shared = self.shared = SharedInboxPage(form, settings, self._off_gui_thread)
        advanced = AdvancedPage(form, settings)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(False)
        built = (account, receiving, general, shared, advanced)
        for page, title in zip(built, SECTIONS, strict=True):
            self.tabs.addTab(scrolling(page), title)
        for page, title in pages:  # (Blocked: ui/settings/blocked.py)
            self.tabs.addTab(scrolling(page), title)
        # The fields, by the names tests and the app know them by.
        self.account_edit, self.token_field = account.account_edit, account.token_field
        self.numbers_editor = numbers = account.numbers
        self.numbers_list, self.number_edit = numbers.numbers_list, numbers.number_edit
        self.add_button, self.remove_button = numbers.add_button, numbers.remove_button
        self.make_default_button = numbers.make_default_button
        self.ngrok_field, self.domain_edit = receiving.ngrok_field, receiving.domain_edit
        self.port_edit = receiving.port_edit
        self.regenerate_button, self.regenerate_box = (
            receiving.regenerate_button,
            receiving.regenerate_box,
        )
        self.regenerate_yes, self.regenerate_no = receiving.regenerate_yes, receiving.regenerate_no
        self.regenerate_done = receiving.regenerate_done
        self.country_combo = general.country_combo
        self.notifications_check, self.tray_check = general.notifications_check, general.tray_check
        self.login_check = general.login_check
        self.api_url_edit, self.tunnel_check = advanced.api_url_edit, advanced.tunnel_check
        self._secret_fields = {**account.secret_fields, **receiving.secret_fields}
        self._secret_fields.update(shared.secret_fields)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 12)
        layout.setSpacing(12)
        layout.addWidget(self.notice)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.save_error)
        bottom = QHBoxLayout()
        bottom.setSpacing(12)
        bottom.addWidget(self.saving_label, 1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)
        self.setMinimumWidth(600)
        self.resize(680, 600)
        form.line_up()

        self._load_secrets()
        numbers.problem.connect(self._number_problem)
        numbers.refresh()
        # National format follows the chosen country.
        self.country_combo.currentIndexChanged.connect(lambda _i: numbers.refresh())
        self._apply_colors()

    def show_section(self, name: str) -> None:
        """Open at one of SECTIONS, with the cursor in its first field."""
        if name not in SECTIONS:
            return
        index = SECTIONS.index(name)
        self.tabs.setCurrentIndex(index)
        first = {
            "Account": self.account_edit,
            "Receiving": self.ngrok_field.edit,
            "General": self.country_combo,
            "Shared inbox": self.shared.database_edit,
            "Advanced": self.api_url_edit,
        }[name]
        first.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- work off the GUI thread ----------------------------------------------------------------
    def _off_gui_thread(self, work: Callable[[], T], then: Callable[[T], None]) -> None:
        """work() on a worker thread (asyncio.to_thread, the app's one worker mechanism), then
        then(its result) back on the GUI thread, unless the dialog has been deleted meanwhile
        (the app shutting down)."""

        async def run() -> None:
            result = await asyncio.to_thread(work)
            if shiboken6.isValid(self):
                then(result)

        task = self._loop.create_task(run())
        self._tasks.add(task)  # (the loop keeps only a weak reference)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("settings dialog: background work failed", exc_info=task.exception())

    # -- secrets --------------------------------------------------------------------------------
    def _load_secrets(self) -> None:
        settings = self.settings
        names = list(self._secret_fields)
        self._off_gui_thread(lambda: settings.read_secrets(names), self._secrets_loaded)

    def _secrets_loaded(self, found: SecretsRead) -> None:
        self._keyring = found
        for name, stored in found.stored.items():
            field, title = self._secret_fields[name]
            effective = found.effective.get(name, "")
            if self.demo and name == "api_token":
                placeholder = "••• built into the demo account"
            elif effective and effective != stored:
                placeholder = "••• set by an environment variable"
            elif stored:
                placeholder = f"••• stored in {found.where}"
            else:
                placeholder = f"Paste your {title}"
            field.set_stored(stored, placeholder)
        store_known = not self.demo and self.settings.secrets_store is not None
        if store_known and (not found.persistent or found.problem):
            self.notice_label.setText(found.problem or f"Secrets are kept in {found.where}.")
            self.notice.show()
        self._secrets_ready = True

    def secrets_loaded(self) -> bool:
        """True once what the keyring holds has been read (placeholders and Show work)."""
        return self._secrets_ready

    # -- numbers --------------------------------------------------------------------------------
    def numbers(self) -> list[str]:
        """The numbers as edited so far (E.164, the default first)."""
        return self.numbers_editor.numbers()

    def _country(self) -> str:
        return str(self.country_combo.currentData() or self.settings.default_country)

    def _number_problem(self, sentence: str) -> None:
        self._set_error("numbers", sentence or None)
        if sentence:
            self.tabs.setCurrentIndex(self._form.page_of["numbers"])

    # -- OK -------------------------------------------------------------------------------------
    def changed_fields(self) -> set[str]:
        """After accept: the names of the settings (and secrets) that changed."""
        return set(self._changed)

    def _typed(self) -> dict[str, object]:
        """The values as typed (see voipdesk.settings.edit.check)."""
        return {
            "account_id": self.account_edit.text().strip(),
            "numbers": self.numbers(),
            "default_country": self._country().upper(),
            "ngrok_domain": self.domain_edit.text(),
            "webhook_port": self.port_edit.text(),
            "api_url": self.api_url_edit.text().strip(),
            "notifications": self.notifications_check.isChecked(),
            "close_to_tray": self.tray_check.isChecked(),
            # Saved as chosen only once the box differs from what was in effect: an undecided
            # setting stays undecided (on once an account is set up).
            "start_at_login": self.settings.start_at_login
            if self.login_check.isChecked() == autostart.wanted(self.settings)
            else self.login_check.isChecked(),
            "tunnel_mode": "ngrok" if self.tunnel_check.isChecked() else "none",
            **self.shared.typed(),
        }

    def ngrok_domain_text(self) -> str:
        return domain_only(self.domain_edit.text())

    def accept(self) -> None:
        if self._saving:
            return
        if self._saved is not None:  # saved already; OK now only closes
            super().accept()
            return
        for key in self._errors:
            self._set_error(key, None)
        self.save_error.hide()
        if not self.numbers_editor.add_typed():  # a number typed but not added yet counts
            return
        values, errors = check(self.settings, self._typed())
        if not self.demo:
            problems = account_problems(
                str(values.get("account_id", "")), self._token_after_save(), self.numbers()
            )
            for key, sentence in problems.items():
                errors.setdefault(key, sentence)
        if errors:
            for key, sentence in errors.items():
                self._set_error(key, sentence)
            page_of = self._form.page_of
            first = min(errors, key=lambda k: page_of.get(k, 99))
            self.tabs.setCurrentIndex(page_of.get(first, 0))
            return

        secret_changes: dict[str, str | None] = {}
        for name, (field, _title) in self._secret_fields.items():
            is_changed, value = field.change()
            if is_changed:
                secret_changes[name] = value
        edit = SettingsEdit(
            self.settings,
            values,
            secret_changes,
            regenerate_webhook_secret=self.receiving.new_webhook_secret_wanted,
        )
        # The new values go into the live settings now, on the GUI thread, and the worker
        # saves that object (undone in _save_done if saving fails).
        edit.apply()
        # The file and the keyring are written on a worker thread: a keyring can take seconds
        # (or wait for the user to unlock it), and the window must not freeze meanwhile.
        self._set_saving(True, keyring=bool(secret_changes))
        self._pending = edit
        self._off_gui_thread(edit.write, self._save_done)

    def _token_after_save(self) -> bool | None:
        """Whether an API token will be there once saved (typed, kept, or from the
        environment); None while the keyring has not been read yet."""
        field, _title = self._secret_fields["api_token"]
        changed, value = field.change()
        if changed:
            return bool(value)
        if self._keyring is None:
            return None
        return bool(self._keyring.effective.get("api_token"))

    def reject(self) -> None:
        if self._saving:  # the file may be half-way written: wait for the result
            return
        if self._saved is not None:  # already saved: closing keeps what was saved
            super().accept()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._saving:
            event.ignore()
            return
        super().closeEvent(event)

    def is_saving(self) -> bool:
        """True while the settings and secrets are being written."""
        return self._saving

    def _save_done(self, result: SaveResult) -> None:
        """Back on the GUI thread with the worker's result."""
        edit, self._pending = self._pending, None
        self._set_saving(False)
        if edit is None:
            return
        result = edit.finish(result)  # undoes the new values if saving failed
        if result.error is not None:  # nothing changed in the running app
            self.save_error.setText(result.error)
            self.save_error.show()
            self.ok_button.setFocus()
            return
        self._changed = set(result.changed)
        self._saved = self._changed
        if result.keyring_problem:
            # Saved, but the keyring refused the secret: say so before closing.
            self.notice_label.setText(result.keyring_problem)
            self.notice.show()
            self.save_error.setText(
                "Your settings were saved, but not in the system keyring: see the note above."
            )
            self.save_error.show()
            self.ok_button.setText("Close")
            self.buttons.button(QDialogButtonBox.StandardButton.Cancel).hide()
            self.ok_button.setFocus()
            return
        super().accept()

    def _set_saving(self, on: bool, *, keyring: bool = False) -> None:
        self._saving = on
        self.tabs.setEnabled(not on)
        self.buttons.setEnabled(not on)
        if on:
            # Not known yet (still reading it): the keyring may well be waiting to be unlocked.
            persistent = self._keyring is None or self._keyring.persistent
            self.saving_label.setText(
                "Saving… (your system keyring may ask you to unlock it)"
                if keyring and self.settings.secrets_store is not None and persistent
                else "Saving…"
            )
        self.saving_label.setVisible(on)
        if on:
            self.setCursor(Qt.CursorShape.BusyCursor)
        else:
            self.unsetCursor()

    # -- looks ----------------------------------------------------------------------------------
    def _set_error(self, key: str, sentence: str | None) -> None:
        self._form.set_error(key, sentence)

    def _apply_colors(self) -> None:
        palette = self.palette()
        self._form.apply_colors(palette)
        theme.set_text_color(self.save_error, theme.error_text(palette))
        theme.set_text_color(self.saving_label, theme.muted_text(palette))
        notice = self.notice.palette()
        notice.setColor(QPalette.ColorRole.Window, theme.tinted(theme.ACCENT, 0.14))
        self.notice.setPalette(notice)

    def changeEvent(self, event: QEvent) -> None:  # follow light/dark switches
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_colors()
