import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import dataclasses
import json
import threading
import time
from pathlib import Path

import pytest
from palettes import dark_palette
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from voipdesk.core.phone import InvalidNumber, normalize
from voipdesk.paths import resource
from voipdesk.settings import Settings
from voipdesk.ui import theme
from voipdesk.ui.compose import ComposeBox
from voipdesk.ui.connection import ConnectionPanel, ReceivingStatus
from voipdesk.ui.main_window import import_summary, skipped_summary
from voipdesk.ui.new_message import NewMessageDialog
from voipdesk.ui.settings import SECTIONS, SettingsDialog
from voipdesk.ui.welcome import WelcomePage

pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support (propagateSizeHints|raise|grabbing)"
)

TOKEN = "tok-SECRET-9f8e7d6c5b4a"
NGROK = "2abcNGROKsecret_9876543210"
OWN1, OWN2 = "+447700900123", "+447700900456"
_ENV = (
    "VOIPDESK_API_TOKEN",
    "VOIPDESK_NGROK_AUTHTOKEN",
    "VOIPDESK_ACCOUNT_ID",
    "VOIPDESK_COUNTRY",
    "VOIPDESK_API_URL",
    "VOIPDESK_WEBHOOK_PORT",
    "VOIPDESK_TUNNEL",
)


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    return Settings.load(tmp_path)


@pytest.fixture
def open_dialog(qtbot, aio):  # the dialog works on the app's loop
    def make(settings: Settings) -> SettingsDialog:
        dialog = SettingsDialog(settings)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        qtbot.waitUntil(dialog.secrets_loaded, timeout=3000)  # read off the GUI thread
        return dialog

    return make


def saved(settings: Settings) -> tuple[dict, bytes]:
    raw = (settings.data_dir / "settings.json").read_bytes()
    return json.loads(raw), raw


def click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def press_ok(qtbot, dialog: SettingsDialog) -> None:
    """Click OK and wait until the save on the worker thread has finished (or was refused)."""
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: not dialog.is_saving(), timeout=5000)


def colour(widget) -> str:
    return widget.palette().color(QPalette.ColorRole.WindowText).name()


# -- settings dialog -----------------------------------------------------------------------------
def test_bad_number_shows_its_sentence_and_the_dialog_stays_open(qtbot, settings, open_dialog):
    dialog = open_dialog(settings)
    before = saved(settings)[1]
    with pytest.raises(InvalidNumber) as expected:
        normalize("12ab", "GB")
    dialog.number_edit.setText("12ab")
    click(qtbot, dialog.add_button)
    error = dialog._errors["numbers"]
    assert error.isVisibleTo(dialog)
    assert error.text() == str(expected.value)
    assert colour(error) == theme.error_text(dialog.palette()).name()
    assert dialog.numbers() == []
    # OK with the bad number still typed: the sentence stays and nothing is saved.
    press_ok(qtbot, dialog)
    assert dialog.isVisible()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert error.text() == str(expected.value)
    assert saved(settings)[1] == before
    assert settings.numbers == []


def test_valid_input_is_saved_without_any_secret(qtbot, settings, open_dialog):
    dialog = open_dialog(settings)
    qtbot.keyClicks(dialog.account_edit, "acc-123")
    qtbot.keyClicks(dialog.token_field.edit, TOKEN)
    qtbot.keyClicks(dialog.number_edit, "07700 900123")
    qtbot.keyClick(dialog.number_edit, Qt.Key.Key_Return)  # adds; does not press OK
    assert dialog.isVisible()
    assert dialog.numbers() == [OWN1]
    dialog.tabs.setCurrentIndex(SECTIONS.index("Receiving"))
    qtbot.keyClicks(dialog.ngrok_field.edit, NGROK)
    qtbot.keyClicks(dialog.domain_edit, "https://calm-otter.ngrok-free.app/")
    press_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    values, raw = saved(settings)
    assert values["account_id"] == "acc-123"
    assert values["numbers"] == [OWN1]
    assert values["ngrok_domain"] == "calm-otter.ngrok-free.app"
    assert TOKEN.encode() not in raw
    assert NGROK.encode() not in raw
    assert settings.secret("api_token") == TOKEN
    assert settings.secret("ngrok_authtoken") == NGROK
    assert dialog.changed_fields() == {
        "account_id",
        "numbers",
        "ngrok_domain",
        "api_token",
        "ngrok_authtoken",
    }


def test_secret_fields_are_masked_until_show(qtbot, settings, open_dialog):
    settings.set_secret("api_token", TOKEN)
    dialog = open_dialog(settings)
    for field in (dialog.token_field, dialog.ngrok_field):
        assert field.edit.echoMode() == QLineEdit.EchoMode.Password
    edit = dialog.token_field.edit
    assert edit.text() == ""  # the stored value is not in the widget at all
    assert edit.placeholderText() == f"••• stored in {settings.secrets_store.where}"
    click(qtbot, dialog.token_field.show_button)
    assert edit.echoMode() == QLineEdit.EchoMode.Normal
    assert edit.text() == TOKEN
    assert dialog.token_field.show_button.text() == "Hide"
    click(qtbot, dialog.token_field.show_button)
    assert edit.echoMode() == QLineEdit.EchoMode.Password
    # Shown but unchanged: not a change, and the secret is not written again.
    press_ok(qtbot, dialog)
    assert "api_token" not in dialog.changed_fields()


def test_clearing_a_shown_secret_removes_it(qtbot, settings, open_dialog):
    settings.set_secret("api_token", TOKEN)
    dialog = open_dialog(settings)
    click(qtbot, dialog.token_field.show_button)
    dialog.token_field.edit.clear()
    press_ok(qtbot, dialog)
    assert dialog.changed_fields() == {"api_token"}
    assert settings.secret("api_token") is None


def test_keyring_notice_matches_the_real_store(settings, open_dialog):
    dialog = open_dialog(settings)
    store = settings.secrets_store
    shows = not store.persistent or bool(store.problem)
    assert dialog.notice.isVisibleTo(dialog) is shows
    if not store.persistent:
        assert dialog.notice_label.text() == store.problem
        assert "memory" in dialog.notice_label.text()


def test_changed_fields_lists_only_what_changed(qtbot, settings, open_dialog):
    dialog = open_dialog(settings)
    press_ok(qtbot, dialog)
    assert dialog.changed_fields() == set()

    dialog = open_dialog(settings)
    dialog.port_edit.setText("53121")
    dialog.notifications_check.setChecked(False)
    press_ok(qtbot, dialog)
    assert dialog.changed_fields() == {"webhook_port", "notifications"}
    assert saved(settings)[0]["webhook_port"] == 53121


def test_port_and_domain_errors_show_beside_their_fields(qtbot, settings, open_dialog):
    dialog = open_dialog(settings)
    dialog.tabs.setCurrentIndex(SECTIONS.index("Account"))
    dialog.port_edit.setText("80")
    dialog.domain_edit.setText("my name.ngrok.app")
    press_ok(qtbot, dialog)
    assert dialog.isVisible()
    assert dialog.tabs.currentIndex() == SECTIONS.index("Receiving")  # where the problems are
    assert "1024" in dialog._errors["webhook_port"].text()
    assert "domain only" in dialog._errors["ngrok_domain"].text()
    dialog.port_edit.setText("eighty")
    press_ok(qtbot, dialog)
    assert dialog._errors["webhook_port"].text().startswith("The port must be a number")
    assert settings.webhook_port is None


def test_numbers_make_default_and_remove(qtbot, settings, open_dialog):
    settings.numbers = [OWN1, OWN2]
    dialog = open_dialog(settings)
    assert "Default" in dialog.numbers_list.item(0).text()
    assert "Default" not in dialog.numbers_list.item(1).text()
    dialog.numbers_list.setCurrentRow(1)
    click(qtbot, dialog.make_default_button)
    assert dialog.numbers() == [OWN2, OWN1]
    assert "Default" in dialog.numbers_list.item(0).text()
    dialog.numbers_list.setCurrentRow(1)
    click(qtbot, dialog.remove_button)
    assert dialog.numbers() == [OWN2]
    press_ok(qtbot, dialog)
    assert saved(settings)[0]["numbers"] == [OWN2]
    assert dialog.changed_fields() == {"numbers"}


def test_regenerate_webhook_secret_after_confirmation(qtbot, settings, open_dialog):
    old = settings.webhook_secret
    dialog = open_dialog(settings)
    dialog.tabs.setCurrentIndex(SECTIONS.index("Receiving"))
    box = dialog.regenerate_box
    click(qtbot, dialog.regenerate_button)
    qtbot.waitUntil(box.isVisible, timeout=1000)
    assert "app.voipnumber.net/numbers" in box.informativeText()
    click(qtbot, dialog.regenerate_no)
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=1000)
    assert not dialog.regenerate_done.isVisibleTo(dialog)
    click(qtbot, dialog.regenerate_button)
    qtbot.waitUntil(box.isVisible, timeout=1000)
    click(qtbot, dialog.regenerate_yes)
    assert dialog.regenerate_done.isVisibleTo(dialog)
    assert settings.webhook_secret == old  # only on OK
    press_ok(qtbot, dialog)
    assert dialog.changed_fields() == {"webhook_secret"}
    assert settings.webhook_secret != old
    assert saved(settings)[0]["webhook_secret"] == settings.webhook_secret


def test_cancel_changes_nothing(qtbot, settings, open_dialog):
    dialog = open_dialog(settings)
    dialog.account_edit.setText("someone-else")
    qtbot.keyClicks(dialog.token_field.edit, TOKEN)
    click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Cancel))
    assert settings.account_id == ""
    assert settings.secret("api_token") is None
    assert dialog.changed_fields() == set()


def test_a_failed_save_keeps_the_dialog_open_and_changes_nothing(
    qtbot, settings, open_dialog, tmp_path
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    settings.data_dir = blocker
    dialog = open_dialog(settings)
    dialog.account_edit.setText("acc-123")
    qtbot.keyClicks(dialog.token_field.edit, TOKEN)
    press_ok(qtbot, dialog)
    assert dialog.isVisible()
    assert dialog.save_error.isVisibleTo(dialog)
    assert dialog.save_error.text().startswith("Your settings could not be saved")
    assert settings.account_id == ""
    assert settings.secret("api_token") is None


def test_saving_runs_off_the_gui_thread_and_says_saving(qtbot, settings, open_dialog, monkeypatch):
    """A keyring that takes its time (or waits to be unlocked) must not freeze the window."""
    store = settings.secrets_store
    release = threading.Event()
    writes: list[tuple[str, bool]] = []
    real_set = store.set

    def slow_set(name, value):
        writes.append((name, threading.current_thread() is threading.main_thread()))
        release.wait(3)  # a synchronous save would block the click for 3 s, then fail below
        real_set(name, value)

    monkeypatch.setattr(store, "set", slow_set)
    dialog = open_dialog(settings)
    dialog.account_edit.setText("acc-123")
    qtbot.keyClicks(dialog.token_field.edit, TOKEN)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: bool(writes), timeout=2000)
    assert dialog.saving_label.isVisibleTo(dialog)
    assert dialog.saving_label.text().startswith("Saving…")
    assert not dialog.ok_button.isEnabled()
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).isEnabled()
    assert not dialog.account_edit.isEnabled()
    before = len(ticks)
    qtbot.wait(200)
    assert len(ticks) > before  # the event loop runs while the keyring is busy
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # no half-saved cancel
    assert dialog.isVisible()
    assert dialog.result() != QDialog.DialogCode.Accepted
    release.set()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=3000)
    timer.stop()
    assert writes == [("api_token", False)]
    assert not dialog.saving_label.isVisibleTo(dialog)
    assert settings.account_id == "acc-123"
    assert settings.secret("api_token") == TOKEN
    assert dialog.changed_fields() == {"account_id", "api_token"}


def test_opening_does_not_wait_for_a_slow_keyring(qtbot, aio, settings, monkeypatch):
    """Reading the keyring (which may wait for the user to unlock it) happens off the GUI
    thread: the dialog opens at once, says it is reading, and fills in what is stored."""
    settings.set_secret("api_token", TOKEN)
    store = settings.secrets_store
    release = threading.Event()
    reads: list[bool] = []  # True: read on the GUI thread
    real_get = store.get

    def slow_get(name):
        reads.append(threading.current_thread() is threading.main_thread())
        release.wait(3)
        return real_get(name)

    monkeypatch.setattr(store, "get", slow_get)
    started = time.monotonic()
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    assert time.monotonic() - started < 1.0
    field = dialog.token_field
    assert field.edit.placeholderText() == "Reading your keyring…"
    assert not field.show_button.isEnabled()
    assert not dialog.secrets_loaded()
    release.set()
    qtbot.waitUntil(dialog.secrets_loaded, timeout=5000)
    assert reads and not any(reads)
    assert field.edit.placeholderText() == f"••• stored in {store.where}"
    assert field.show_button.isEnabled()
    click(qtbot, field.show_button)
    assert field.edit.text() == TOKEN


def test_the_app_saving_meanwhile_keeps_what_the_dialog_saved(qtbot, settings, open_dialog):
    """While the dialog waits for the keyring, the app saves the same settings (a new public
    URL, from a worker thread): the file keeps the dialog's values and the app's."""
    store = settings.secrets_store
    release = threading.Event()
    writing = threading.Event()
    real_set = store.set

    def slow_set(name, value):
        writing.set()  # the file is written; the keyring is slow
        release.wait(3)
        real_set(name, value)

    store.set = slow_set
    dialog = open_dialog(settings)
    dialog.account_edit.setText("acc-123")
    qtbot.keyClicks(dialog.token_field.edit, TOKEN)
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(writing.is_set, timeout=3000)
    assert dialog.is_saving()
    url = "https://my-name.ngrok-free.app/webhook/x"
    settings.last_public_url = url  # as Services._on_tunnel does, then saves off the GUI thread
    app_save = threading.Thread(target=settings.save)
    app_save.start()
    app_save.join(3)
    assert saved(settings)[0]["account_id"] == "acc-123"
    release.set()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=3000)
    values = saved(settings)[0]
    assert (values["account_id"], values["last_public_url"]) == ("acc-123", url)
    assert settings.account_id == "acc-123"
    assert dialog.changed_fields() == {"account_id", "api_token"}


def test_the_dialog_never_looks_for_the_keyring_on_the_gui_thread(qtbot, aio, settings):
    """Finding the keyring backend imports keyring and may ask D-Bus (or wait for the store's
    lock): opening the dialog and saving leave that to worker threads."""
    store = settings.secrets_store
    assert not store._probed
    probes: list[bool] = []  # True: asked on the GUI thread
    real_probe = store._probe

    def slow_probe():
        probes.append(threading.current_thread() is threading.main_thread())
        if not store._probed:
            time.sleep(0.3)  # importing the backends, asking D-Bus
        real_probe()

    store._probe = slow_probe
    started = time.monotonic()
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    assert time.monotonic() - started < 0.3
    qtbot.waitUntil(dialog.secrets_loaded, timeout=3000)
    assert probes and not any(probes)
    shows = not store.persistent or bool(store.problem)  # (the test asks: not the dialog)
    assert dialog.notice.isVisibleTo(dialog) is shows
    if not store.persistent:
        assert dialog.notice_label.text() == store.problem
    probes.clear()
    dialog.account_edit.setText("acc-123")
    qtbot.keyClicks(dialog.token_field.edit, TOKEN)
    press_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert probes and not any(probes)


class RefusingKeyring:
    """A keyring backend that is there but will not store anything."""

    def get_password(self, service, user):
        return None

    def set_password(self, service, user, value):
        raise RuntimeError("locked")

    def delete_password(self, service, user):
        raise RuntimeError("locked")


def test_a_keyring_that_refuses_is_explained_before_closing(
    qtbot, settings, open_dialog, monkeypatch
):
    store = settings.secrets_store
    monkeypatch.setattr(store, "_keyring", RefusingKeyring())
    monkeypatch.setattr(store, "problem", None)
    dialog = open_dialog(settings)
    assert not dialog.notice.isVisibleTo(dialog)
    assert dialog.saving_label.isHidden()
    qtbot.keyClicks(dialog.token_field.edit, TOKEN)
    click(qtbot, dialog.ok_button)
    assert "keyring may ask you to unlock it" in dialog.saving_label.text()
    qtbot.waitUntil(lambda: not dialog.is_saving(), timeout=5000)
    # Saved (the running app gets the token for this session), but the user is told where.
    assert dialog.isVisible()
    assert dialog.notice.isVisibleTo(dialog)
    assert "refused" in dialog.notice_label.text()
    assert dialog.save_error.isVisibleTo(dialog)
    assert dialog.save_error.text().startswith("Your settings were saved, but not in the system")
    assert dialog.ok_button.text() == "Close"
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).isVisibleTo(dialog)
    assert settings.secret("api_token") == TOKEN  # kept in memory
    click(qtbot, dialog.ok_button)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.changed_fields() == {"api_token"}


def test_a_value_set_by_the_environment_says_so_beside_its_field(
    settings, open_dialog, monkeypatch
):
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    dialog = open_dialog(settings)
    dialog.tabs.setCurrentIndex(SECTIONS.index("Advanced"))
    note = dialog._env_notes["tunnel_mode"]
    assert note.isVisibleTo(dialog)
    assert "VOIPDESK_TUNNEL" in note.text() and "none" in note.text()
    assert "account_id" not in dialog._env_notes  # only what the environment really sets


def test_fields_line_up_across_tabs_and_describe_themselves(settings, open_dialog):
    dialog = open_dialog(settings)
    lefts = set()
    for index in range(len(SECTIONS)):
        dialog.tabs.setCurrentIndex(index)
        QApplication.processEvents()
        page = dialog.tabs.currentWidget().widget()
        form = page.layout()
        field = form.itemAt(1, form.ItemRole.FieldRole) or form.itemAt(0, form.ItemRole.FieldRole)
        lefts.add(field.geometry().left())
    assert len(lefts) == 1, f"fields start at {lefts} on different tabs"
    assert dialog.notifications_check.accessibleName() == dialog.notifications_check.text()
    assert "app.voipnumber.net/settings" in dialog.account_edit.accessibleDescription()
    assert "dashboard.ngrok.com" in dialog.ngrok_field.edit.accessibleDescription()


def test_tab_goes_from_the_tabs_straight_to_the_first_field(qtbot, settings, open_dialog):
    dialog = open_dialog(settings)
    dialog.tabs.tabBar().setFocus()
    chain = []
    widget = dialog.tabs.tabBar()
    for _ in range(4):
        widget = widget.nextInFocusChain()
        while not (
            widget.focusPolicy() & Qt.FocusPolicy.TabFocus
            and widget.isVisible()
            and widget.isEnabled()
        ):
            widget = widget.nextInFocusChain()
        chain.append(widget.accessibleName())
    assert chain[:3] == ["Account ID", "API token", "Show API token"]


def test_show_section_opens_receiving_with_the_cursor_in_the_authtoken(settings, open_dialog):
    dialog = open_dialog(settings)
    dialog.activateWindow()
    dialog.show_section("Receiving")
    assert dialog.tabs.currentIndex() == SECTIONS.index("Receiving")
    assert dialog.focusWidget() is dialog.ngrok_field.edit


def test_demo_says_the_token_is_built_in(qtbot, aio, settings):
    dialog = SettingsDialog(settings, demo=True)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.secrets_loaded, timeout=3000)
    assert dialog.notice.isVisibleTo(dialog)
    assert dialog.notice_label.text().startswith("This is the demo account")
    assert dialog.token_field.edit.placeholderText() == "••• built into the demo account"


@pytest.mark.parametrize(
    ("count", "problems", "first", "rest"),
    [
        (1, ["line 9: bad"], "Imported 1 contact name from c.vcf.", "1 entry was skipped:"),
        (3, ["a", "b"], "Imported 3 contact names from c.vcf.", "2 entries were skipped:"),
        (0, [], "No contact names with a usable number were found in c.vcf.", None),
    ],
)
def test_import_summary_counts_in_words(count, problems, first, rest):
    assert import_summary(count, "c.vcf") == first
    if rest:
        assert skipped_summary(problems).splitlines()[0] == rest
    long = skipped_summary([f"line {i}" for i in range(14)])
    assert long.splitlines()[-1] == "…and 4 more."


# -- welcome page --------------------------------------------------------------------------------
def test_welcome_offers_setup_and_demo(qtbot):
    page = WelcomePage()
    qtbot.addWidget(page)
    assert page.setup_button.text() == "Set up my account"
    assert page.demo_button.text() == "Try the demo"
    assert "app.voipnumber.net/settings" in page.need.text()
    assert page.intro.text().startswith("Text from your computer with your VoIP Number account.")
    with qtbot.waitSignal(page.setupRequested, timeout=1000):
        click(qtbot, page.setup_button)
    with qtbot.waitSignal(page.demoRequested, timeout=1000):
        click(qtbot, page.demo_button)


# -- new message ---------------------------------------------------------------------------------
@pytest.fixture
def new_message(qtbot):
    def make(numbers=(OWN1,), contacts=None) -> NewMessageDialog:
        dialog = NewMessageDialog("GB", contacts or {}, list(numbers))
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        return dialog

    return make


def test_new_message_normalises_a_national_number(qtbot, new_message):
    dialog = new_message()
    qtbot.keyClicks(dialog.to_edit, "07700 900777")
    assert dialog.to_hint.text() == "To 07700 900777"
    qtbot.keyClick(dialog.to_edit, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.recipient() == "+447700900777"
    assert dialog.sender() == OWN1
    assert dialog.text() == ""
    assert not dialog.from_combo.isVisibleTo(dialog)


def test_new_message_resolves_a_contact_name(qtbot, new_message):
    dialog = new_message((OWN1, OWN2), {"+447700900555": "Sam Demo", "+12025550143": "Ann Lee"})
    completer = dialog.to_edit.completer()
    completer.setCompletionPrefix("demo")  # contains-match, any case
    assert completer.currentCompletion() == "Sam Demo (07700 900555)"
    qtbot.keyClicks(dialog.to_edit, "sam demo")
    assert dialog.to_hint.text() == "To Sam Demo, 07700 900555"
    dialog.from_combo.setCurrentIndex(1)
    dialog.text_edit.setPlainText("Hi Sam")
    assert dialog.ok_button.text() == "Send"
    click(qtbot, dialog.ok_button)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.recipient() == "+447700900555"
    assert dialog.sender() == OWN2
    assert dialog.text() == "Hi Sam"


def test_new_message_picked_completion_resolves(qtbot, new_message):
    dialog = new_message(contacts={"+12025550143": "Ann Lee"})
    dialog.to_edit.setText("Ann Lee (+1 202-555-0143)")
    click(qtbot, dialog.ok_button)
    assert dialog.recipient() == "+12025550143"


def test_new_message_invalid_number_keeps_the_dialog_open(qtbot, new_message):
    dialog = new_message()
    with pytest.raises(InvalidNumber) as expected:
        normalize("12ab", "GB")
    dialog.to_edit.setText("12ab")
    click(qtbot, dialog.ok_button)
    assert dialog.isVisible()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.to_error.isVisibleTo(dialog)
    assert dialog.to_error.text() == str(expected.value)
    assert dialog.recipient() == ""
    dialog.to_edit.setText("Bobby")
    click(qtbot, dialog.ok_button)
    assert dialog.to_error.text().startswith("No contact is called “Bobby”")


# -- screenshots ---------------------------------------------------------------------------------
@pytest.fixture(params=["light", "dark"])
def variant(request, qapp):
    original, icon = QGuiApplication.palette(), QGuiApplication.windowIcon()
    QApplication.setWindowIcon(QIcon(str(resource("voipdesk.svg"))))  # as the app does
    if request.param == "dark":
        QApplication.setPalette(dark_palette())
    yield request.param
    QApplication.setPalette(original)
    QApplication.setWindowIcon(icon)


def shot(widget: QWidget, folder: Path, name: str) -> Path:
    QApplication.processEvents()  # let layouts settle after show/hide
    image = widget.grab().toImage()
    assert not image.isNull() and image.width() > 100 and image.height() > 50
    path = folder / f"{name}.png"
    assert image.save(str(path))
    return path


def test_screenshots(qtbot, aio, variant, tmp_path, settings):
    """Grabs every widget of this module set; VOIPDESK_UI_SHOTS=DIR keeps them for a look."""
    folder = Path(os.environ.get("VOIPDESK_UI_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    dark = variant == "dark"
    assert theme.is_dark() is dark

    frame = QWidget()  # the compose box sits at the bottom of the thread pane
    qtbot.addWidget(frame)
    compose = ComposeBox(country="GB")
    QVBoxLayout(frame).addWidget(compose)
    frame.layout().setContentsMargins(0, 0, 0, 0)
    compose.set_numbers([OWN1, OWN2], OWN1)
    compose.set_draft("“Running late” — be there in 10 minutes. " + "Sorry! " * 18)
    frame.resize(620, 10)
    frame.show()
    qtbot.waitExposed(frame)
    shot(frame, folder, f"compose-{variant}")
    compose.set_draft("")
    compose.set_enabled_reason("Sending is paused: VoIP Number refused your API token.")
    frame.resize(620, 10)
    shot(frame, folder, f"compose-paused-{variant}")

    settings.numbers = [OWN1, OWN2]
    settings.set_secret("api_token", TOKEN)
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(dialog.secrets_loaded, timeout=3000)
    for index, section in enumerate(SECTIONS):
        dialog.tabs.setCurrentIndex(index)
        shot(dialog, folder, f"settings-{section.lower()}-{variant}")
    dialog.tabs.setCurrentIndex(0)
    dialog.number_edit.setText("12ab")
    click(qtbot, dialog.add_button)
    shot(dialog, folder, f"settings-error-{variant}")
    dialog.tabs.setCurrentIndex(1)
    click(qtbot, dialog.regenerate_button)
    qtbot.waitUntil(dialog.regenerate_box.isVisible, timeout=1000)
    shot(dialog.regenerate_box, folder, f"settings-regenerate-ask-{variant}")
    click(qtbot, dialog.regenerate_yes)
    shot(dialog, folder, f"settings-regenerate-{variant}")

    welcome = WelcomePage()
    qtbot.addWidget(welcome)
    welcome.resize(760, 520)
    welcome.show()
    qtbot.waitExposed(welcome)
    shot(welcome, folder, f"welcome-{variant}")

    panel = ConnectionPanel()
    qtbot.addWidget(panel)
    panel.resize(620, 360)
    panel.show()
    qtbot.waitExposed(panel)
    status = ReceivingStatus(
        True,
        53121,
        None,
        "online",
        "Online through ngrok.",
        "https://calm-otter.ngrok-free.app/webhook/Zq3xv1ZpQm9YkQ2l8d0sT0wH1Xn4c7Vb",
    )
    panel.set_status(status)
    panel.set_test_result(True, "A test message reached voipdesk through the public URL.")
    shot(panel, folder, f"connection-{variant}")
    panel.set_status(dataclasses.replace(status, url_changed=True))
    panel.set_test_result(False, "The tunnel refused the connection.")
    shot(panel, folder, f"connection-url-changed-{variant}")
    panel.set_status(
        ReceivingStatus(
            True,
            53121,
            None,
            "error",
            "There is no ngrok authtoken yet.",
            None,
            authtoken_missing=True,
        )
    )
    panel.set_testing(False)
    shot(panel, folder, f"connection-setup-{variant}")

    message = NewMessageDialog("GB", {"+447700900555": "Sam Demo"}, [OWN1, OWN2])
    qtbot.addWidget(message)
    message.show()
    qtbot.waitExposed(message)
    message.to_edit.setText("12ab")
    click(qtbot, message.ok_button)
    shot(message, folder, f"new-message-{variant}")
