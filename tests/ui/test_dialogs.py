import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import dataclasses
from pathlib import Path

import pytest
from palettes import dark_palette
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QVBoxLayout,
    QWidget,
)

from voipdesk.core.phone import InvalidNumber, normalize
from voipdesk.paths import resource
from voipdesk.receiver.status import ReceivingStatus
from voipdesk.ui import theme
from voipdesk.ui.compose import ComposeBox
from voipdesk.ui.connection import ConnectionPanel
from voipdesk.ui.new_message import NewMessageDialog
from voipdesk.ui.settings import SECTIONS, SettingsDialog
from voipdesk.ui.welcome import WelcomePage
from voipdesk.ui.window_actions import import_summary, skipped_summary

pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support (propagateSizeHints|raise|grabbing)"
)

TOKEN = "tok-SECRET-9f8e7d6c5b4a"
OWN1, OWN2 = "+447700900123", "+447700900456"


def click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


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


def test_new_message_names_that_arrive_after_it_opened_are_offered_and_understood(
    qtbot, new_message
):
    dialog = new_message()  # opened at once; the names are read on a worker meanwhile
    qtbot.keyClicks(dialog.to_edit, "sam demo")
    assert not dialog.to_hint.isVisibleTo(dialog)
    dialog.set_contacts({"+447700900555": "Sam Demo"})
    assert dialog.to_hint.text() == "To Sam Demo, 07700 900555"  # what was typed, read again
    completer = dialog.to_edit.completer()
    completer.setCompletionPrefix("demo")
    assert completer.currentCompletion() == "Sam Demo (07700 900555)"


def test_new_message_picked_completion_resolves(qtbot, new_message):
    dialog = new_message(contacts={"+12025550143": "Ann Lee"})
    dialog.to_edit.setText("Ann Lee (+1 202-555-0143)")
    click(qtbot, dialog.ok_button)
    assert dialog.recipient() == "+12025550143"


def test_new_message_enter_sends_and_shift_enter_starts_a_new_line(qtbot, new_message):
    """As in the main compose box."""
    dialog = new_message()
    qtbot.keyClicks(dialog.to_edit, "07700 900777")
    dialog.text_edit.setFocus()
    qtbot.keyClicks(dialog.text_edit, "first")
    qtbot.keyClick(dialog.text_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(dialog.text_edit, "second")
    assert dialog.isVisible()
    qtbot.keyClick(dialog.text_edit, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.text() == "first\nsecond"


def test_new_message_error_never_covers_the_message_box(qtbot, new_message):
    dialog = new_message((OWN1, OWN2))
    dialog.text_edit.setPlainText("hello there")
    dialog.to_edit.setText("12ab")
    click(qtbot, dialog.ok_button)
    qtbot.wait(50)  # the layout settles
    assert dialog.to_error.isVisible()

    def box(widget):
        return widget.geometry().translated(widget.parentWidget().mapTo(dialog, QPoint(0, 0)))

    assert not box(dialog.counter).intersects(box(dialog.text_edit))
    assert not box(dialog.to_error).intersects(box(dialog.from_combo))
    assert dialog.rect().contains(box(dialog.buttons))


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
