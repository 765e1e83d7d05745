"""The settings dialog: account, receiving, general and advanced settings, each saying where its
value comes from; bad values get a sentence beside their field."""

from __future__ import annotations

import contextlib
import os
import threading

import phonenumbers
from PySide6.QtCore import QEvent, QLocale, QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSystemTrayIcon,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from voipdesk.core.phone import InvalidNumber, display, normalize
from voipdesk.provider.wire import DEFAULT_SEND_URL
from voipdesk.settings import SecretsRead, Settings
from voipdesk.settings.edit import SaveResult, SettingsEdit, check, domain_only
from voipdesk.ui import theme
from voipdesk.ui.labels import plain_label, plain_message_box

SECTIONS = ("Account", "Receiving", "General", "Advanced")
DEMO_NOTICE = (
    "This is the demo account: its token is built in and nothing leaves this computer. "
    "Your own account is set up when you start voipdesk without the demo."
)
# Settings that an environment variable overrides while it is set (see Settings.effective_*).
_ENV_OVERRIDES = {
    "account_id": "VOIPDESK_ACCOUNT_ID",
    "default_country": "VOIPDESK_COUNTRY",
    "webhook_port": "VOIPDESK_WEBHOOK_PORT",
    "api_url": "VOIPDESK_API_URL",
    "tunnel_mode": "VOIPDESK_TUNNEL",
}


def country_names() -> list[tuple[str, str]]:
    """(region code, “United Kingdom (+44)”) for every region phonenumbers knows, by name."""
    rows = []
    for code in phonenumbers.SUPPORTED_REGIONS:
        name = QLocale.territoryToString(QLocale.codeToTerritory(code)) or code
        prefix = phonenumbers.country_code_for_region(code)
        rows.append((code, f"{name} (+{prefix})"))
    return sorted(rows, key=lambda row: row[1].casefold())


def _label(text: str = "", *, wrap: bool = True) -> QLabel:
    return plain_label(text, wrap=wrap)


class SecretField(QWidget):
    """A masked line edit with a Show toggle. The stored value appears only when Show is pressed."""

    def __init__(self, stored: str | None, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stored = stored or ""
        self._revealed = False
        self.edit = QLineEdit()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setPlaceholderText(placeholder)
        self.show_button = QPushButton("Show")
        self.show_button.setCheckable(True)
        self.show_button.setAutoDefault(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.show_button)
        self.setFocusProxy(self.edit)
        self.show_button.toggled.connect(self._toggled)

    def set_accessible_name(self, name: str) -> None:
        self.edit.setAccessibleName(name)
        self.show_button.setAccessibleName(f"Show {name}")

    def set_stored(self, stored: str | None, placeholder: str) -> None:
        """The value read from the keyring (read off the GUI thread, so it arrives later)."""
        self._stored = stored or ""
        self.edit.setPlaceholderText(placeholder)
        self.show_button.setEnabled(True)

    def change(self) -> tuple[bool, str | None]:
        """(changed, new value); a value that was shown and then cleared means “remove it”."""
        text = self.edit.text().strip()
        if text:
            return text != self._stored, text
        return (self._revealed and bool(self._stored)), None

    def _toggled(self, on: bool) -> None:
        if on and not self.edit.text() and self._stored:
            self.edit.setText(self._stored)
            self._revealed = True
        self.edit.setEchoMode(QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password)
        self.show_button.setText("Hide" if on else "Show")


class SettingsDialog(QDialog):
    """Edits a Settings object; on OK validates, saves (off the GUI thread, showing “Saving…”)
    and then accepts; changed_fields() says what changed."""

    _saveDone = Signal(object)  # a SaveResult, from the worker thread
    _secretsLoaded = Signal(object)  # a SecretsRead, from the worker thread

    def __init__(
        self, settings: Settings, parent: QWidget | None = None, *, demo: bool = False
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.demo = demo
        self.setWindowTitle("Settings")
        self._changed: set[str] = set()
        self._regenerate = False
        self._numbers = list(settings.numbers)
        self._errors: dict[str, QLabel] = {}
        self._hints: list[QLabel] = []
        self._field_tab: dict[str, int] = {}
        self._row_labels: list[QLabel] = []
        self._env_notes: dict[str, QLabel] = {}
        self._saving = False
        self._saved: set[str] | None = None
        self._pending: SettingsEdit | None = None
        self._saveDone.connect(self._save_done, Qt.ConnectionType.QueuedConnection)
        self._secret_fields: dict[str, tuple[SecretField, str]] = {}
        self._secrets_ready = False
        # Where secrets are kept, as read on the worker thread; never asked of the store on the
        # GUI thread (finding the keyring backend imports it and may talk to D-Bus).
        self._keyring: SecretsRead | None = None
        self._secretsLoaded.connect(self._secrets_loaded, Qt.ConnectionType.QueuedConnection)

        self.notice = QFrame()
        self.notice.setAutoFillBackground(True)
        self.notice.setAccessibleName("Where your secrets are kept")
        self.notice_label = _label()
        notice_layout = QHBoxLayout(self.notice)
        notice_layout.setContentsMargins(12, 8, 12, 8)
        notice_layout.addWidget(self.notice_label)
        if demo:
            self.notice_label.setText(DEMO_NOTICE)
            self.notice.setAccessibleName("About the demo account")
        else:  # said once the keyring has been found, off the GUI thread (_secrets_loaded)
            self.notice.hide()
        self.save_error = _label()
        self.save_error.setAccessibleName("Problem saving")
        self.save_error.hide()
        self.saving_label = _label()
        self.saving_label.setAccessibleName("Saving")
        self.saving_label.hide()

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(False)
        self.tabs.addTab(self._scrolling(self._account_page()), "Account")
        self.tabs.addTab(self._scrolling(self._receiving_page()), "Receiving")
        self.tabs.addTab(self._scrolling(self._general_page()), "General")
        self.tabs.addTab(self._scrolling(self._advanced_page()), "Advanced")

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

        # One label column for every tab, so the fields do not jump sideways between tabs.
        # (+3: drawn with the mnemonic underlined, a label loses its kerning and grows.)
        width = max(label.sizeHint().width() for label in self._row_labels) + 3
        for label in self._row_labels:
            label.setMinimumWidth(width)

        self._load_secrets()
        self._refresh_numbers()
        # National format follows the chosen country.
        self.country_combo.currentIndexChanged.connect(lambda _i: self._refresh_numbers())
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
            "Advanced": self.api_url_edit,
        }[name]
        first.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- pages ----------------------------------------------------------------------------------
    @staticmethod
    def _scrolling(page: QWidget) -> QScrollArea:
        # A scroll area sizes the page with heightForWidth, so wrapped hints and errors that
        # appear later are never cut off (a tab page alone only gets its first size hint).
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        area.setWidget(page)
        area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # not an empty stop between tabs and fields
        area.viewport().setAutoFillBackground(False)
        page.setAutoFillBackground(False)
        return area

    def _form(self) -> tuple[QWidget, QFormLayout]:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(16, 16, 16, 16)
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(14)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        return page, form

    def _row(
        self,
        form: QFormLayout,
        text: str,
        field: QWidget | QLayout,
        hint: str,
        *,
        key: str | None = None,
        focus: QWidget | None = None,
    ) -> None:
        """A labelled field with its error line (hidden until needed) and a muted hint."""
        box = QVBoxLayout()
        box.setSpacing(3)
        if isinstance(field, QLayout):
            box.addLayout(field)
        else:
            box.addWidget(field)
        env = _ENV_OVERRIDES.get(key or "")
        value = os.environ.get(env, "").strip() if env else ""
        if env and value:  # the environment wins over this field: say so, and with what
            note = _label(
                f"Now {value}, from the environment variable {env}. "
                "What you set here applies when that variable is not set."
            )
            note.setAccessibleName(f"{text.replace('&', '')} is set by {env}")
            box.addWidget(note)
            self._env_notes[key or ""] = note
        if key is not None:
            error = _label()
            error.setAccessibleName(f"Problem with {text.replace('&', '').lower()}")
            error.hide()
            box.addWidget(error)
            self._errors[key] = error
            self._field_tab[key] = self.tabs.count()
        if hint:
            hint_label = _label(hint)
            box.addWidget(hint_label)
            self._hints.append(hint_label)
        label = plain_label(text)
        self._row_labels.append(label)
        buddy = focus or (field if isinstance(field, QWidget) else None)
        if buddy is not None:
            label.setBuddy(buddy)
            if isinstance(buddy, QCheckBox):  # its own words say more than the row's title
                buddy.setAccessibleName(buddy.text())
            elif not buddy.accessibleName():
                buddy.setAccessibleName(text.replace("&", ""))
            if hint and not buddy.accessibleDescription():  # where the value comes from
                buddy.setAccessibleDescription(hint)
        form.addRow(label, box)

    def _account_page(self) -> QWidget:
        page, form = self._form()
        s = self.settings
        self.account_edit = QLineEdit(s.account_id)
        self.account_edit.setPlaceholderText("Your Account ID")
        self._row(
            form,
            "Account &ID",
            self.account_edit,
            "On app.voipnumber.net/settings, the Settings page of your VoIP Number account.",
            key="account_id",
        )
        self.token_field = self._secret_field("api_token", "API token")
        self._row(
            form,
            "API &token",
            self.token_field,
            "On the same Settings page, next to your Account ID. If you press GENERATE there, "
            "paste the new token here.",
            key="api_token",
            focus=self.token_field.edit,
        )

        self.numbers_list = QListWidget()
        self.numbers_list.setAccessibleName("Your numbers")
        self.numbers_list.setFixedHeight(self.numbers_list.fontMetrics().lineSpacing() * 5 + 8)
        self.make_default_button = QPushButton("Make default")
        self.make_default_button.setAccessibleName("Make the selected number the default")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setAccessibleName("Remove the selected number")
        side = QVBoxLayout()
        side.setSpacing(6)
        side.addWidget(self.make_default_button)
        side.addWidget(self.remove_button)
        # No stretch items here: one would make the form hand this row all spare height.
        side.setAlignment(Qt.AlignmentFlag.AlignTop)
        list_row = QHBoxLayout()
        list_row.setSpacing(8)
        list_row.addWidget(self.numbers_list, 1, Qt.AlignmentFlag.AlignTop)
        list_row.addLayout(side)
        self.number_edit = QLineEdit()
        self.number_edit.setAccessibleName("Number to add")
        self.number_edit.setPlaceholderText("Add a number, like 07700 900123 or +1 202 555 0100")
        self.number_edit.setClearButtonEnabled(True)
        self.number_edit.installEventFilter(self)
        self.add_button = QPushButton("Add")
        self.add_button.setAccessibleName("Add this number")
        add_row = QHBoxLayout()
        add_row.setSpacing(8)
        add_row.addWidget(self.number_edit, 1)
        add_row.addWidget(self.add_button)
        numbers_box = QVBoxLayout()
        numbers_box.setSpacing(6)
        numbers_box.addLayout(list_row)
        numbers_box.addLayout(add_row)
        self._row(
            form,
            "Your &numbers",
            numbers_box,
            "Your SMS numbers from app.voipnumber.net/numbers. New conversations start from "
            "the default one.",
            key="numbers",
            focus=self.number_edit,
        )
        for button in (self.make_default_button, self.remove_button, self.add_button):
            button.setAutoDefault(False)
        self.add_button.clicked.connect(self._add_number)
        self.remove_button.clicked.connect(self._remove_number)
        self.make_default_button.clicked.connect(self._make_default)
        self.numbers_list.currentRowChanged.connect(lambda _row: self._update_number_buttons())
        self.number_edit.textChanged.connect(lambda _t: self._set_error("numbers", None))
        return page

    def _receiving_page(self) -> QWidget:
        page, form = self._form()
        s = self.settings
        intro = _label(
            "To receive messages, voipdesk runs a small listener on this computer and reaches "
            "it from the internet through ngrok, a free tunnel service."
        )
        self._hints.append(intro)
        form.addRow(intro)
        self.ngrok_field = self._secret_field("ngrok_authtoken", "ngrok authtoken")
        self._row(
            form,
            "ngrok &authtoken",
            self.ngrok_field,
            "Get it from dashboard.ngrok.com → Your Authtoken (a free ngrok account is enough).",
            key="ngrok_authtoken",
            focus=self.ngrok_field.edit,
        )
        self.domain_edit = QLineEdit(s.ngrok_domain)
        self.domain_edit.setPlaceholderText("Optional, like my-name.ngrok-free.app")
        self._row(
            form,
            "Static &domain",
            self.domain_edit,
            "Optional. Keeps your webhook URL the same across restarts; "
            "dashboard.ngrok.com → Domains.",
            key="ngrok_domain",
        )
        self.port_edit = QLineEdit("" if s.webhook_port is None else str(s.webhook_port))
        self.port_edit.setPlaceholderText("Automatic")
        self.port_edit.setFixedWidth(140)
        port_row = QHBoxLayout()  # keeps the hint below full width while the field stays short
        port_row.addWidget(self.port_edit)
        port_row.addStretch(1)
        self._row(
            form,
            "Listener &port",
            port_row,
            "The port on this computer the listener uses. Leave empty to pick a free one.",
            key="webhook_port",
            focus=self.port_edit,
        )
        self.regenerate_button = QPushButton("Regenerate webhook secret…")
        self.regenerate_button.setAccessibleName("Regenerate webhook secret")
        self.regenerate_button.setAutoDefault(False)
        self.regenerate_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.regenerate_box = plain_message_box(
            QMessageBox.Icon.Warning,
            "Make a new webhook secret?",
            "A new secret gives you a new webhook URL.",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        self.regenerate_box.setInformativeText(
            "Until you paste the new URL as the webhook of each of your numbers on "
            "app.voipnumber.net/numbers, messages sent to your numbers will not arrive."
        )
        self.regenerate_yes = self.regenerate_box.addButton(
            "Make a new secret", QMessageBox.ButtonRole.AcceptRole
        )
        self.regenerate_no = self.regenerate_box.addButton(
            "Keep the current one", QMessageBox.ButtonRole.RejectRole
        )
        self.regenerate_box.setDefaultButton(self.regenerate_no)
        self.regenerate_box.finished.connect(self._regenerate_answered)
        self.regenerate_done = _label(
            "A new secret will be made when you press OK. Then copy the new URL from "
            "View → Connection to app.voipnumber.net/numbers."
        )
        self.regenerate_done.setAccessibleName("New webhook secret on OK")
        font = self.regenerate_done.font()
        font.setBold(True)
        self.regenerate_done.setFont(font)
        self.regenerate_done.hide()
        secret_box = QVBoxLayout()
        secret_box.setSpacing(6)
        secret_box.addWidget(self.regenerate_button)
        secret_box.addWidget(self.regenerate_done)
        self._row(
            form,
            "Webhook secret",
            secret_box,
            "Part of your webhook URL that only VoIP Number knows. Make a new one if the URL "
            "got out.",
            focus=self.regenerate_button,
        )
        self.regenerate_button.clicked.connect(self.regenerate_box.open)
        return page

    def _general_page(self) -> QWidget:
        page, form = self._form()
        s = self.settings
        self.country_combo = QComboBox()
        self.country_combo.setMaxVisibleItems(16)
        rows = country_names()
        current = s.default_country.upper()
        if current not in {code for code, _ in rows}:
            self.country_combo.addItem(current, current)  # kept so the problem can be shown
        for code, name in rows:
            self.country_combo.addItem(name, code)
        self.country_combo.setCurrentIndex(max(self.country_combo.findData(current), 0))
        self._row(
            form,
            "Default &country",
            self.country_combo,
            "Numbers typed without + and a country code are read as numbers from this country.",
            key="default_country",
        )
        self.notifications_check = QCheckBox("Show a notification when a message arrives")
        self.notifications_check.setChecked(s.notifications)
        self._row(
            form,
            "Notifications",
            self.notifications_check,
            "Only when the voipdesk window is not in front.",
        )
        self.tray_check = QCheckBox("Keep running in the tray when the window closes")
        self.tray_check.setChecked(s.close_to_tray)
        self._row(
            form,
            "Closing",
            self.tray_check,
            "Messages can only arrive while voipdesk runs. Quit from the tray icon's menu."
            if QSystemTrayIcon.isSystemTrayAvailable()
            else "Messages can only arrive while voipdesk runs. This desktop shows no tray "
            "icons right now, so closing the window asks whether to quit.",
        )
        return page

    def _advanced_page(self) -> QWidget:
        page, form = self._form()
        s = self.settings
        self.api_url_edit = QLineEdit(s.api_url)
        self.api_url_edit.setPlaceholderText(DEFAULT_SEND_URL)
        self._row(
            form,
            "API &endpoint",
            self.api_url_edit,
            "Leave empty to use VoIP Number's own. Change it only for testing.",
            key="api_url",
        )
        self.tunnel_check = QCheckBox("Reach this computer from the internet through ngrok")
        self.tunnel_check.setChecked(s.tunnel_mode != "none")
        self._row(
            form,
            "Tunnel",
            self.tunnel_check,
            "Without the tunnel, VoIP Number cannot reach the listener, so messages arrive "
            "only if you forward the port yourself.",
            key="tunnel_mode",
        )
        return page

    def _secret_field(self, name: str, title: str) -> SecretField:
        # What is stored is read from the keyring on a worker thread (see _load_secrets): a
        # keyring can take seconds, or wait for the user to unlock it.
        field = SecretField(None, "Reading your keyring…")
        field.show_button.setEnabled(False)
        field.set_accessible_name(title)
        field.edit.textChanged.connect(lambda _t: self._set_error(name, None))
        self._secret_fields[name] = (field, title)
        return field

    def _load_secrets(self) -> None:
        settings = self.settings
        names = list(self._secret_fields)

        def read() -> None:
            found = settings.read_secrets(names)
            with contextlib.suppress(RuntimeError):  # the dialog is gone
                self._secretsLoaded.emit(found)

        threading.Thread(target=read, name="voipdesk-settings-secrets", daemon=True).start()

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
        return list(self._numbers)

    def _country(self) -> str:
        return str(self.country_combo.currentData() or self.settings.default_country)

    def _add_number(self) -> bool:
        """Add what is typed in the number field; False (with the sentence shown) if it is bad."""
        typed = self.number_edit.text().strip()
        if not typed:
            return True
        try:
            number = normalize(typed, self._country())
        except InvalidNumber as exc:
            self._set_error("numbers", str(exc))
            self.tabs.setCurrentIndex(self._field_tab["numbers"])
            self.number_edit.setFocus()
            return False
        if number not in self._numbers:
            self._numbers.append(number)
        self.number_edit.clear()
        self._refresh_numbers(select=number)
        return True

    def _remove_number(self) -> None:
        row = self.numbers_list.currentRow()
        if 0 <= row < len(self._numbers):
            del self._numbers[row]
            self._refresh_numbers(
                select=self._numbers[min(row, len(self._numbers) - 1)] if self._numbers else None
            )

    def _make_default(self) -> None:
        row = self.numbers_list.currentRow()
        if 0 < row < len(self._numbers):
            self._numbers.insert(0, self._numbers.pop(row))
            self._refresh_numbers(select=self._numbers[0])

    def _refresh_numbers(self, select: str | None = None) -> None:
        self.numbers_list.clear()
        country = self._country()
        for index, number in enumerate(self._numbers):
            text = display(number, country) + ("   Default" if index == 0 else "")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, number)
            item.setToolTip(number)
            if index == 0:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.numbers_list.addItem(item)
        if not self._numbers:
            self.numbers_list.addItem(QListWidgetItem("No numbers yet: add yours below."))
            self.numbers_list.item(0).setFlags(Qt.ItemFlag.NoItemFlags)
        elif select in self._numbers:
            self.numbers_list.setCurrentRow(self._numbers.index(select))
        self._update_number_buttons()

    def _update_number_buttons(self) -> None:
        row = self.numbers_list.currentRow()
        valid = 0 <= row < len(self._numbers)
        self.remove_button.setEnabled(valid)
        self.make_default_button.setEnabled(valid and row > 0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Enter in the number field adds the number instead of pressing OK.
        if (
            watched is self.number_edit
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self._add_number()
            return True
        return super().eventFilter(watched, event)

    # -- webhook secret -------------------------------------------------------------------------
    def _regenerate_answered(self) -> None:
        # The new secret is made on OK, so Cancel on the dialog still keeps the old one.
        if self.regenerate_box.clickedButton() is self.regenerate_yes:
            self._regenerate = True
            self.regenerate_button.setEnabled(False)
            self.regenerate_done.show()

    # -- OK -------------------------------------------------------------------------------------
    def changed_fields(self) -> set[str]:
        """After accept: the names of the settings (and secrets) that changed."""
        return set(self._changed)

    def _typed(self) -> dict[str, object]:
        """The values as typed (see voipdesk.settings.edit.check)."""
        return {
            "account_id": self.account_edit.text().strip(),
            "numbers": list(self._numbers),
            "default_country": self._country().upper(),
            "ngrok_domain": self.domain_edit.text(),
            "webhook_port": self.port_edit.text(),
            "api_url": self.api_url_edit.text().strip(),
            "notifications": self.notifications_check.isChecked(),
            "close_to_tray": self.tray_check.isChecked(),
            "tunnel_mode": "ngrok" if self.tunnel_check.isChecked() else "none",
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
        if not self._add_number():  # a number typed but not added yet counts
            return
        values, errors = check(self.settings, self._typed())
        if errors:
            for key, sentence in errors.items():
                self._set_error(key, sentence)
            first = min(errors, key=lambda k: self._field_tab.get(k, 99))
            self.tabs.setCurrentIndex(self._field_tab.get(first, 0))
            return

        secret_changes: dict[str, str | None] = {}
        for name, field in (("api_token", self.token_field), ("ngrok_authtoken", self.ngrok_field)):
            is_changed, value = field.change()
            if is_changed:
                secret_changes[name] = value
        edit = SettingsEdit(
            self.settings, values, secret_changes, regenerate_webhook_secret=self._regenerate
        )
        # The new values go into the live settings now, on the GUI thread, and the worker
        # saves that object (undone in _save_done if saving fails).
        edit.apply()
        # The file and the keyring are written on a worker thread: a keyring can take seconds
        # (or wait for the user to unlock it), and the window must not freeze meanwhile.
        self._set_saving(True, keyring=bool(secret_changes))

        def work() -> None:
            result = edit.write()
            with contextlib.suppress(RuntimeError):  # the dialog is gone (app shutting down)
                self._saveDone.emit(result)

        self._pending = edit
        threading.Thread(target=work, name="voipdesk-settings-save", daemon=True).start()

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
        label = self._errors.get(key)
        if label is None:
            return
        label.setText(sentence or "")
        label.setVisible(bool(sentence))

    def _apply_colors(self) -> None:
        palette = self.palette()
        error, muted = theme.error_text(palette), theme.muted_text(palette)
        for label in (*self._errors.values(), self.save_error):
            theme.set_text_color(label, error)
        for label in (*self._hints, *self._env_notes.values(), self.saving_label):
            theme.set_text_color(label, muted)
        notice = self.notice.palette()
        notice.setColor(QPalette.ColorRole.Window, theme.tinted(theme.ACCENT, 0.14))
        self.notice.setPalette(notice)

    def changeEvent(self, event: QEvent) -> None:  # follow light/dark switches
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_colors()
