"""Settings → Shared inbox: the shared database's address (saved without a password), its
password (the keyring), "Your name", and Test connection against the real PostgreSQL of
tests/pg_support.py, on the dialog's worker."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
import socket

import psycopg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from tests.pg_support import PASSWORD_ROLE, schema_name
from voipdesk.settings import Settings
from voipdesk.settings.database import HOLDS_PASSWORD, database_url_to_connect
from voipdesk.ui import theme
from voipdesk.ui.settings import SECTIONS, SettingsDialog

pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support (propagateSizeHints|raise|grabbing)"
)

PASSWORD = "pw-SECRET-5e4d3c2b1a"
ADDRESS = "postgresql://ana@db.example.com/voipdesk?sslmode=verify-full"


@pytest.fixture
def open_dialog(qtbot, aio, monkeypatch):  # the dialog works on the app's loop
    # Only what the dialog is given counts: no password from the environment or a file.
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.delenv("VOIPDESK_DATABASE_URL", raising=False)
    monkeypatch.setenv("PGPASSFILE", "/nonexistent")

    def make(settings: Settings) -> SettingsDialog:
        dialog = SettingsDialog(settings)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        qtbot.waitUntil(dialog.secrets_loaded, timeout=3000)  # read off the GUI thread
        dialog.show_section("Shared inbox")
        return dialog

    return make


def press_ok(qtbot, dialog: SettingsDialog) -> None:
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.is_saving(), timeout=5000)


def saved_file(settings: Settings) -> bytes:
    return (settings.data_dir / "settings.json").read_bytes()


def test_address_password_and_name_are_saved_and_the_password_only_in_the_keyring(
    qtbot, settings, open_dialog
):
    dialog = open_dialog(settings)
    page = dialog.shared
    expected = settings.effective_your_name  # (looked up on the dialog's worker)
    qtbot.waitUntil(lambda: page.name_edit.placeholderText() == expected, timeout=5000)
    qtbot.keyClicks(page.database_edit, ADDRESS)
    qtbot.keyClicks(page.password_field.edit, PASSWORD)
    qtbot.keyClicks(page.name_edit, "Ana at the front desk")
    press_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    raw = saved_file(settings)
    assert PASSWORD.encode() not in raw
    values = json.loads(raw)
    assert values["database_url"] == ADDRESS
    assert values["your_name"] == "Ana at the front desk"
    assert settings.secret("database_password") == PASSWORD
    assert {"database_url", "your_name", "database_password"} <= dialog.changed_fields()
    # What the app connects with: the address with the keyring's password.
    assert PASSWORD in database_url_to_connect(settings)
    assert Settings.load(settings.data_dir).database_url == ADDRESS

    again = open_dialog(settings)
    assert again.shared.database_edit.text() == ADDRESS
    assert again.shared.name_edit.text() == "Ana at the front desk"
    assert again.shared.password_field.edit.text() == ""  # masked, not filled in
    assert again.shared.password_field.edit.placeholderText().startswith("••• stored in")


def test_an_address_with_a_password_is_refused_beside_the_field(qtbot, settings, open_dialog):
    dialog = open_dialog(settings)
    before = saved_file(settings)
    dialog.tabs.setCurrentIndex(SECTIONS.index("Account"))
    dialog.shared.database_edit.setText(f"postgresql://ana:{PASSWORD}@db.example.com/voipdesk")
    press_ok(qtbot, dialog)
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    error = dialog._errors["database_url"]
    assert error.isVisibleTo(dialog) and error.text() == HOLDS_PASSWORD
    assert dialog.tabs.currentIndex() == SECTIONS.index("Shared inbox")
    assert saved_file(settings) == before
    assert settings.database_url == ""


def test_leaving_the_address_empty_keeps_this_computer_only(qtbot, settings, open_dialog):
    dialog = open_dialog(settings)
    qtbot.mouseClick(dialog.shared.test_button, Qt.MouseButton.LeftButton)
    assert "on this computer only" in dialog.shared.test_result.text()
    press_ok(qtbot, dialog)
    assert json.loads(saved_file(settings))["database_url"] == ""
    assert database_url_to_connect(settings) is None


def test_connection(qtbot, dialog: SettingsDialog, address: str) -> str:
    """Type the address, press Test connection: the click returns at once, saying it is
    connecting (the work is on the worker); then the sentence under the button."""
    page = dialog.shared
    page.database_edit.setText(address)
    qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    assert page.test_result.text() == "Connecting…"
    assert not page.test_button.isEnabled()
    qtbot.waitUntil(lambda: not page.is_testing(), timeout=15000)
    assert page.test_button.isEnabled() and page.test_result.isVisibleTo(dialog)
    return page.test_result.text()


test_connection.__test__ = False  # a helper, not a test


def colour(widget) -> str:
    from PySide6.QtGui import QPalette

    return widget.palette().color(QPalette.ColorRole.WindowText).name()


def test_test_connection_to_the_shared_database_says_it_worked(
    qtbot, settings, open_dialog, pg_url
):
    dialog = open_dialog(settings)
    sentence = test_connection(qtbot, dialog, pg_url)
    assert sentence.startswith("Connected: the shared database answers")
    assert colour(dialog.shared.test_result) == theme.success_text(dialog.palette()).name()
    assert not dialog._errors["database_url"].isVisible()
    dialog.shared.database_edit.setText(pg_url + "x")  # no longer what was tested
    assert not dialog.shared.test_result.isVisibleTo(dialog)


def test_an_unreachable_server_is_said_in_plain_words(qtbot, settings, open_dialog):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dialog = open_dialog(settings)
    sentence = test_connection(qtbot, dialog, f"postgresql://ana@127.0.0.1:{port}/voipdesk")
    assert sentence.startswith(
        f"voipdesk cannot reach the shared database postgresql://ana@127.0.0.1:{port}/voipdesk ("
    )
    assert "database server is running" in sentence
    assert colour(dialog.shared.test_result) == theme.error_text(dialog.palette()).name()


def test_a_database_that_does_not_exist_is_said_in_plain_words(
    qtbot, settings, open_dialog, pg_cluster
):
    dialog = open_dialog(settings)
    sentence = test_connection(qtbot, dialog, pg_cluster.url("no_such_database"))
    assert "has no such database" in sentence


def test_the_password_typed_or_kept_in_the_keyring_is_the_one_tested(
    qtbot, settings, open_dialog, pg_url, pg_cluster
):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {PASSWORD_ROLE}")
        conn.execute(f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{PASSWORD}'")
        conn.execute(f"GRANT ALL ON SCHEMA {schema_name(pg_url)} TO {PASSWORD_ROLE}")
    url = pg_url.replace(f"{pg_cluster.user}@", f"{PASSWORD_ROLE}@")
    try:
        dialog = open_dialog(settings)
        refused = test_connection(qtbot, dialog, url)
        assert "refused the password" in refused
        dialog.shared.password_field.edit.setText("not-the-password")
        wrong = test_connection(qtbot, dialog, url)
        assert "refused the password" in wrong
        assert "password=" not in wrong  # the address as typed, not the one connected with
        dialog.shared.password_field.edit.setText(PASSWORD)
        assert test_connection(qtbot, dialog, url).startswith("Connected")
        press_ok(qtbot, dialog)
        assert PASSWORD.encode() not in saved_file(settings)
        # Kept in the keyring: a new dialog tests with it without it being typed again.
        again = open_dialog(settings)
        assert test_connection(qtbot, again, url).startswith("Connected")
        for said in (refused, again.shared.test_result.text()):
            assert PASSWORD not in said
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {PASSWORD_ROLE}")
            conn.execute(f"DROP ROLE {PASSWORD_ROLE}")


def test_an_address_from_the_environment_is_said_without_its_password(
    qtbot, settings, open_dialog, monkeypatch
):
    monkeypatch.setenv("VOIPDESK_DATABASE_URL", f"postgresql://ana:{PASSWORD}@db.example.com/v")
    dialog = SettingsDialog(settings)  # (open_dialog clears the variable)
    qtbot.addWidget(dialog)
    note = dialog._env_notes["database_url"]
    assert "VOIPDESK_DATABASE_URL" in note.text()
    assert "postgresql://ana:***@db.example.com/v" in note.text()
    assert PASSWORD not in note.text()
    qtbot.waitUntil(dialog.secrets_loaded, timeout=3000)
