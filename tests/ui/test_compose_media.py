"""A picture pasted or dropped into the compose box: VoIP Number sends text only, so it is not
added, and the box says so (no silence); text that comes with a picture is pasted as text."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
)
from PySide6.QtWidgets import QApplication

from voipdesk.ui import compose_media
from voipdesk.ui.compose import ComposeBox

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support")


@pytest.fixture
def box(qtbot):
    widget = ComposeBox()
    qtbot.addWidget(widget)
    widget.resize(500, 120)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def picture() -> QImage:
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(QColor("#3060c0"))
    return image


def paste(box: ComposeBox, mime: QMimeData) -> None:
    QGuiApplication.clipboard().setMimeData(mime)
    box.editor.setFocus()
    box.editor.paste()


def test_a_pasted_picture_says_why_it_cannot_be_sent(box, qtbot):
    box.editor.setPlainText("Look at this ")
    mime = QMimeData()
    mime.setImageData(picture())
    paste(box, mime)
    assert box.draft() == "Look at this "
    assert box.attachment_note.isVisible()
    assert box.attachment_note.text() == compose_media.PICTURE
    assert "text messages only" in box.attachment_note.text()


def test_text_copied_with_a_picture_of_itself_is_pasted_as_text(box):
    mime = QMimeData()
    mime.setImageData(picture())
    mime.setText("see you at 8")
    paste(box, mime)
    assert box.draft() == "see you at 8" and not box.attachment_note.isVisible()


def test_a_dropped_file_says_why_and_the_note_goes_with_the_next_message(box, qtbot, tmp_path):
    photo = tmp_path / "holiday.jpg"
    picture().save(str(photo))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    viewport = box.editor.viewport()
    args = (
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    enter = QDragEnterEvent(QPoint(10, 10), *args)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()  # the box takes it (to say why), not the window behind it
    QApplication.sendEvent(viewport, QDragMoveEvent(QPoint(10, 10), *args))
    drop = QDropEvent(
        QPoint(10, 10).toPointF(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(viewport, drop)
    assert box.draft() == ""
    assert box.attachment_note.isVisible() and box.attachment_note.text() == compose_media.PICTURE
    mime_doc = QMimeData()
    mime_doc.setUrls([QUrl.fromLocalFile(str(tmp_path / "notes.pdf"))])
    assert compose_media.refusal(mime_doc) == compose_media.FILE
    box.editor.setPlainText("sending a link instead")
    with qtbot.waitSignal(box.sendRequested):
        box.send()
    assert not box.attachment_note.isVisible()


def test_the_new_message_dialog_says_it_too(qtbot):
    from voipdesk.ui.new_message import NewMessageDialog

    dialog = NewMessageDialog("GB", {}, ["+447700900001"])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    mime = QMimeData()
    mime.setImageData(picture())
    QGuiApplication.clipboard().setMimeData(mime)
    dialog.text_edit.setFocus()
    dialog.text_edit.paste()
    assert dialog.text_edit.toPlainText() == ""
    assert dialog.attachment_note.isVisible()
    assert dialog.attachment_note.text() == compose_media.PICTURE
    # Below the box and its counter, not over them.
    assert dialog.attachment_note.geometry().top() >= dialog.counter.geometry().bottom()
