"""The settings dialog: its pages and fields, the numbers editor and secret fields in it, and OK
saving off the GUI thread on the app's loop (the `aio` fixture)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
import logging
import threading
import time

import pytest
import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QLineEdit

from voipdesk.core.phone import InvalidNumber, normalize
from voipdesk.settings import Settings
from voipdesk.ui import theme
from voipdesk.ui.settings import SECTIONS, SettingsDialog

pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support (propagateSizeHints|raise|grabbing)"
)

TOKEN = "tok-SECRET-9f8e7d6c5b4a"
NGROK = "2abcNGROKsecret_9876543210"
OWN1, OWN2 = "+447700900123", "+447700900456"


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


def with_account(settings: Settings, monkeypatch=None) -> Settings:
    """An account that can send: saving refuses an incomplete one, saying what is missing.
    With monkeypatch, the API token comes from the environment too."""
    settings.account_id = settings.account_id or "acc-000"
    settings.numbers = settings.numbers or [OWN1]
    if monkeypatch is not None:
        monkeypatch.setenv("VOIPDESK_API_TOKEN", TOKEN)
    return settings


def click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def press_ok(qtbot, dialog: SettingsDialog) -> None:
    """Click OK and wait until the save on the worker thread has finished (or was refused)."""
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: not dialog.is_saving(), timeout=5000)


def colour(widget) -> str:
    return widget.palette().color(QPalette.ColorRole.WindowText).name()


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


def test_start_at_login_is_on_once_an_account_is_set_up_and_can_be_turned_off(
    qtbot, settings, open_dialog, monkeypatch
):
    dialog = open_dialog(settings)
    assert not dialog.login_check.isChecked()  # nothing set up yet
    dialog.close()
    with_account(settings, monkeypatch)
    dialog = open_dialog(settings)
    assert dialog.login_check.isChecked()  # not chosen yet: on, since the account is set up
    press_ok(qtbot, dialog)
    assert "start_at_login" not in dialog.changed_fields()  # still not chosen: stays so
    dialog = open_dialog(settings)
    dialog.login_check.setChecked(False)
    press_ok(qtbot, dialog)
    assert "start_at_login" in dialog.changed_fields()
    assert saved(settings)[0]["start_at_login"] is False


def test_an_account_that_cannot_send_is_said_beside_each_field_before_saving(
    qtbot, settings, open_dialog
):
    dialog = open_dialog(settings)
    dialog.account_edit.setText("not an id!")
    press_ok(qtbot, dialog)
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    errors = {
        key: label.text() for key, label in dialog._errors.items() if label.isVisibleTo(dialog)
    }
    assert errors.keys() == {"account_id", "api_token", "numbers"}
    assert "is not an Account ID" in errors["account_id"]
    assert "Paste your API token" in errors["api_token"]
    assert "Add at least one" in errors["numbers"]
    assert (
        not (settings.data_dir / "settings.json").exists()
        or saved(settings)[0]["account_id"] != "not an id!"
    )
    # Set up fully, it saves.
    dialog.account_edit.setText("acc-123")
    qtbot.keyClicks(dialog.token_field.edit, TOKEN)
    qtbot.keyClicks(dialog.number_edit, "07700 900001")
    press_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert saved(settings)[0]["account_id"] == "acc-123"


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


def test_numbers_make_default_and_remove(qtbot, settings, open_dialog, monkeypatch):
    settings.numbers = [OWN1, OWN2]
    with_account(settings, monkeypatch)
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
    settings.numbers = [OWN1]
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
    with_account(settings)
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
    with_account(settings)
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
    with_account(settings)
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
    with_account(settings)
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


@pytest.mark.parametrize("busy", ["reading the keyring", "saving"])
def test_a_dialog_deleted_while_its_worker_runs_is_left_alone(
    qtbot, aio, settings, monkeypatch, caplog, busy
):
    """The app may delete the dialog (shutting down) while the keyring is read or written: the
    worker's result then goes nowhere, without an error, and what was saved stays saved."""
    with_account(settings)
    store = settings.secrets_store
    release, started = threading.Event(), threading.Event()
    slow = "get" if busy == "reading the keyring" else "set"
    real = getattr(store, slow)

    def wait_then(*args):
        started.set()
        release.wait(3)
        return real(*args)

    monkeypatch.setattr(store, slow, wait_then)
    dialog = SettingsDialog(settings)
    dialog.show()
    if busy == "saving":
        qtbot.waitUntil(dialog.secrets_loaded, timeout=3000)
        dialog.account_edit.setText("acc-123")
        qtbot.keyClicks(dialog.token_field.edit, TOKEN)
        click(qtbot, dialog.ok_button)
    qtbot.waitUntil(started.is_set, timeout=3000)
    tasks = dialog._tasks
    assert tasks  # the worker is busy
    shiboken6.delete(dialog)
    release.set()
    qtbot.waitUntil(lambda: not tasks, timeout=3000)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    if busy == "saving":
        assert saved(settings)[0]["account_id"] == "acc-123"
        assert settings.secret("api_token") == TOKEN
