"""Window titles name the app once, as the desktop shows them: Qt adds " — voipdesk" (the
application's display name) to every title that does not already end with it."""

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def shown_title(widget) -> str:
    """The title as the desktop shows it (QPlatformWindow::formatWindowTitle's rule)."""
    title, name = widget.windowTitle(), QApplication.applicationDisplayName()
    if not name or title.endswith(name):
        return title or QApplication.applicationName()
    return f"{title} — {name}" if title else name


def test_the_demo_window_and_its_boxes_name_voipdesk_once(demo_app, qtbot):
    window = demo_app.window
    assert shown_title(window) == "Demo — voipdesk"
    window.actions.about()
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes
    for box in boxes:
        assert shown_title(box).count("voipdesk") == 1, shown_title(box)
        box.close()


def test_the_quit_question_names_voipdesk_once(demo_app, qtbot):
    from voipdesk.ui.app_boxes import ask_to_quit

    box = ask_to_quit(demo_app.window, lambda: None, ["A message is still being sent."])
    try:
        assert shown_title(box) == "Quit — voipdesk"
    finally:
        box.close()
