"""The settings dialog's four pages: Account, Receiving, General and Advanced. Each holds its
fields, filled from the settings; the dialog reads them on OK."""

from __future__ import annotations

from collections.abc import Callable

import phonenumbers
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from voipdesk import autostart
from voipdesk.provider.wire import DEFAULT_SEND_URL
from voipdesk.settings import Settings
from voipdesk.ui.labels import plain_label, plain_message_box
from voipdesk.ui.settings.form import Form
from voipdesk.ui.settings.numbers import NumbersEditor
from voipdesk.ui.settings.secret_field import SecretField


def country_names() -> list[tuple[str, str]]:
    """(region code, “United Kingdom (+44)”) for every region phonenumbers knows, by name."""
    rows = []
    for code in phonenumbers.SUPPORTED_REGIONS:
        name = QLocale.territoryToString(QLocale.codeToTerritory(code)) or code
        prefix = phonenumbers.country_code_for_region(code)
        rows.append((code, f"{name} (+{prefix})"))
    return sorted(rows, key=lambda row: row[1].casefold())


def secret_field(form: Form, name: str, title: str) -> SecretField:
    """A secret's field, saying it is reading the keyring until set_stored() is called: a
    keyring can take seconds, or wait for the user to unlock it, so it is read off the GUI
    thread and the stored value arrives later."""
    field = SecretField(None, "Reading your keyring…")
    field.show_button.setEnabled(False)
    field.set_accessible_name(title)
    field.edit.textChanged.connect(lambda _t: form.set_error(name, None))
    return field


class AccountPage(QWidget):
    def __init__(self, form: Form, settings: Settings, country: Callable[[], str]) -> None:
        super().__init__()
        form.start(self)
        self.account_edit = QLineEdit(settings.account_id)
        self.account_edit.setPlaceholderText("Your Account ID")
        form.row(
            "Account &ID",
            self.account_edit,
            "On app.voipnumber.net/settings, the Settings page of your VoIP Number account.",
            key="account_id",
        )
        self.token_field = secret_field(form, "api_token", "API token")
        form.row(
            "API &token",
            self.token_field,
            "On the same Settings page, next to your Account ID. If you press GENERATE there, "
            "paste the new token here.",
            key="api_token",
            focus=self.token_field.edit,
        )
        self.numbers = NumbersEditor(settings.numbers, country)
        form.row(
            "Your &numbers",
            self.numbers,
            "Your SMS numbers from app.voipnumber.net/numbers. New conversations start from "
            "the default one.",
            key="numbers",
            focus=self.numbers.number_edit,
        )
        self.secret_fields = {"api_token": (self.token_field, "API token")}


class ReceivingPage(QWidget):
    def __init__(self, form: Form, settings: Settings) -> None:
        super().__init__()
        form.start(self)
        form.intro(
            "To receive messages, voipdesk runs a small listener on this computer and reaches "
            "it from the internet through ngrok, a free tunnel service."
        )
        self.ngrok_field = secret_field(form, "ngrok_authtoken", "ngrok authtoken")
        form.row(
            "ngrok &authtoken",
            self.ngrok_field,
            "Get it from dashboard.ngrok.com → Your Authtoken (a free ngrok account is enough).",
            key="ngrok_authtoken",
            focus=self.ngrok_field.edit,
        )
        self.domain_edit = QLineEdit(settings.ngrok_domain)
        self.domain_edit.setPlaceholderText("Optional, like my-name.ngrok-free.app")
        form.row(
            "Static &domain",
            self.domain_edit,
            "Optional. Keeps your webhook URL the same across restarts; "
            "dashboard.ngrok.com → Domains.",
            key="ngrok_domain",
        )
        self.port_edit = QLineEdit(
            "" if settings.webhook_port is None else str(settings.webhook_port)
        )
        self.port_edit.setPlaceholderText("Automatic")
        self.port_edit.setFixedWidth(140)
        port_row = QHBoxLayout()  # keeps the hint below full width while the field stays short
        port_row.addWidget(self.port_edit)
        port_row.addStretch(1)
        form.row(
            "Listener &port",
            port_row,
            "The port on this computer the listener uses. Leave empty to pick a free one.",
            key="webhook_port",
            focus=self.port_edit,
        )
        form.row(
            "Webhook secret",
            self._regenerate_box(),
            "Part of your webhook URL that only VoIP Number knows. Make a new one if the URL "
            "got out.",
            focus=self.regenerate_button,
        )
        self.secret_fields = {"ngrok_authtoken": (self.ngrok_field, "ngrok authtoken")}
        # Asked for and confirmed; the new secret is made on OK, so Cancel keeps the old one.
        self.new_webhook_secret_wanted = False

    def _regenerate_box(self) -> QVBoxLayout:
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
        self.regenerate_done = plain_label(
            "A new secret will be made when you press OK. Then copy the new URL from "
            "View → Connection to app.voipnumber.net/numbers.",
            wrap=True,
            name="New webhook secret on OK",
        )
        font = self.regenerate_done.font()
        font.setBold(True)
        self.regenerate_done.setFont(font)
        self.regenerate_done.hide()
        box = QVBoxLayout()
        box.setSpacing(6)
        box.addWidget(self.regenerate_button)
        box.addWidget(self.regenerate_done)
        self.regenerate_button.clicked.connect(self.regenerate_box.open)
        return box

    def _regenerate_answered(self) -> None:
        if self.regenerate_box.clickedButton() is self.regenerate_yes:
            self.new_webhook_secret_wanted = True
            self.regenerate_button.setEnabled(False)
            self.regenerate_done.show()


class GeneralPage(QWidget):
    def __init__(self, form: Form, settings: Settings) -> None:
        super().__init__()
        form.start(self)
        self.country_combo = QComboBox()
        self.country_combo.setMaxVisibleItems(16)
        rows = country_names()
        current = settings.default_country.upper()
        if current not in {code for code, _ in rows}:
            self.country_combo.addItem(current, current)  # kept so the problem can be shown
        for code, name in rows:
            self.country_combo.addItem(name, code)
        self.country_combo.setCurrentIndex(max(self.country_combo.findData(current), 0))
        form.row(
            "Default &country",
            self.country_combo,
            "Numbers typed without + and a country code are read as numbers from this country.",
            key="default_country",
        )
        self.notifications_check = QCheckBox("Show a notification when a message arrives")
        self.notifications_check.setChecked(settings.notifications)
        form.row(
            "Notifications",
            self.notifications_check,
            "Only when the voipdesk window is not in front.",
        )
        self.tray_check = QCheckBox("Keep running in the tray when the window closes")
        self.tray_check.setChecked(settings.close_to_tray)
        form.row(
            "Closing",
            self.tray_check,
            "Messages can only arrive while voipdesk runs. Quit from the tray icon's menu."
            if QSystemTrayIcon.isSystemTrayAvailable()
            else "Messages can only arrive while voipdesk runs. This desktop shows no tray "
            "icons right now, so closing the window asks whether to quit.",
        )
        self.login_check = QCheckBox("Start voipdesk when I log in")
        self.login_check.setChecked(autostart.wanted(settings))
        form.row(
            "Starting",
            self.login_check,
            "It starts in the tray, without a window, so messages arrive from the moment you "
            "log in."
            if QSystemTrayIcon.isSystemTrayAvailable()
            else "It starts minimised, so messages arrive from the moment you log in.",
        )


class AdvancedPage(QWidget):
    def __init__(self, form: Form, settings: Settings) -> None:
        super().__init__()
        form.start(self)
        self.api_url_edit = QLineEdit(settings.api_url)
        self.api_url_edit.setPlaceholderText(DEFAULT_SEND_URL)
        form.row(
            "API &endpoint",
            self.api_url_edit,
            "Leave empty to use VoIP Number's own. Change it only for testing.",
            key="api_url",
        )
        self.tunnel_check = QCheckBox("Reach this computer from the internet through ngrok")
        self.tunnel_check.setChecked(settings.tunnel_mode != "none")
        form.row(
            "Tunnel",
            self.tunnel_check,
            "Without the tunnel, VoIP Number cannot reach the listener, so messages arrive "
            "only if you forward the port yourself.",
            key="tunnel_mode",
        )
