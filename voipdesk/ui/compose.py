"""The compose box under a thread: multi-line text, SMS counter, From selector and Send."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMimeData, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QInputMethodEvent, QKeyEvent, QPalette, QResizeEvent, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from voipdesk.core.phone import display
from voipdesk.ui import theme
from voipdesk.ui.labels import plain_label
from voipdesk.ui.send_later import later_button

MAX_LINES = 6
DRAFT_DEBOUNCE_MS = 500


def length_text(text: str) -> str:
    """The counter line: “42 / 160 · 1 SMS”, or “75 characters · 2 SMS (Unicode)”."""
    if not text:  # the empty box at start: painted without loading the SMS codecs
        return "0 / 160"
    from voipdesk.core.segments import measure

    length = measure(text)
    unicode = " (Unicode)" if length.encoding == "UCS-2" else ""
    if length.segments <= 1:
        single = 160 if length.encoding == "GSM-7" else 70
        count = f"{length.units} / {single}"
        return f"{count} · 1 SMS{unicode}" if length.segments else f"{count}{unicode}"
    return f"{length.characters} characters · {length.segments} SMS{unicode}"


def gsm_saving(text: str) -> tuple[str, int] | None:
    """The GSM look-alike text and how many SMS it saves, when it saves at least one."""
    if not text:
        return None
    from voipdesk.core.segments import gsm_replacement, measure

    replacement = gsm_replacement(text)
    if replacement is None:
        return None
    saved = measure(text).segments - measure(replacement).segments
    return (replacement, saved) if saved > 0 else None


class MessageEdit(QPlainTextEdit):
    """A plain-text editor where Enter sends and Shift+Enter starts a new line."""

    submitted = Signal()
    attachmentRefused = Signal(str)  # a picture or file was pasted or dropped: why it is not sent

    def __init__(self, parent: QWidget | None = None, *, fit: bool = True) -> None:
        """`fit`: the box grows with its text (up to MAX_LINES); else its height is the
        caller's."""
        super().__init__(parent)
        self._composing = False  # an input method is composing: Enter confirms, never sends
        self._fits = fit
        self.setTabChangesFocus(True)
        self.setPlaceholderText("Text message")
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        if fit:
            self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            self.document().documentLayout().documentSizeChanged.connect(self._fit)
            self._fit()

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        from voipdesk.ui import compose_media  # (a drop or paste: after the first paint)

        return compose_media.refusal(source) is not None or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        from voipdesk.ui import compose_media

        sentence = compose_media.refusal(source)
        if sentence is not None:
            self.attachmentRefused.emit(sentence)
            return
        super().insertFromMimeData(source)

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:
        self._composing = bool(event.preeditString())
        super().inputMethodEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not self._composing:
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.textCursor().insertText("\n")  # a real newline, not U+2028
            else:
                self.submitted.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def line_count(self) -> int:
        # QPlainTextDocumentLayout measures the document in visual lines, wrapping included.
        return max(1, round(self.document().documentLayout().documentSize().height()))

    def height_for(self, lines: int) -> int:
        margins = self.contentsMargins()
        doc_margin = self.document().documentMargin()
        # +2: QPlainTextEdit shows its scroll bar unless the viewport is strictly taller.
        return round(
            lines * self.fontMetrics().lineSpacing()
            + 2 * doc_margin
            + margins.top()
            + margins.bottom()
            + 2
        )

    def _fit(self) -> None:
        self.setFixedHeight(self.height_for(min(self.line_count(), MAX_LINES)))

    def resizeEvent(self, event: QResizeEvent) -> None:  # rewrapping changes the line count
        super().resizeEvent(event)
        if self._fits:
            self._fit()

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self.height_for(1))


class ComposeBox(QWidget):
    """Where a message is written. Emits sendRequested(sender_e164, text) and clears itself."""

    sendRequested = Signal(str, str)
    draftChanged = Signal(str)  # debounced; not emitted for set_draft() or after a send

    def __init__(self, parent: QWidget | None = None, *, country: str = "") -> None:
        super().__init__(parent)
        self._country = country
        self._numbers: list[str] = []
        self._reason: str | None = None
        self._replacement: str | None = None

        self.editor = MessageEdit()
        self.editor.setAccessibleName("Message text")
        self.editor.setAccessibleDescription("Enter sends; Shift+Enter starts a new line.")
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("primary")
        self.send_button.setAccessibleName("Send message")
        self.send_button.setAutoDefault(False)
        self.send_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.later_button = later_button()  # Send later (ui/send_later.py, ui/thread/scheduled.py)

        self.from_combo = QComboBox()
        self.from_combo.setAccessibleName("Send from number")
        self.from_combo.setToolTip("The number this message is sent from")
        self.from_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

        self.reason_label = plain_label(wrap=True, name="Why sending is unavailable")
        self.attachment_note = plain_label(wrap=True, name="Why the picture was not added")
        self.replace_button = QPushButton()
        self.replace_button.setFlat(True)
        self.replace_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.replace_button.setAccessibleName("Replace special characters")
        self.replace_button.setAutoDefault(False)
        self.counter = plain_label(name="Message length")
        self.counter.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.editor, 1)
        top.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        top.addWidget(self.later_button, 0, Qt.AlignmentFlag.AlignBottom)
        # Always there: the From selector (several numbers only) and the counter. Below them,
        # only when there is something to say: why sending is off, or the replace suggestion.
        bottom = QHBoxLayout()
        bottom.setSpacing(6)
        bottom.addWidget(self.from_combo)
        bottom.addStretch(1)
        bottom.addWidget(self.counter)
        notes = QHBoxLayout()
        notes.setSpacing(6)
        notes.addWidget(self.reason_label, 1)
        notes.addWidget(self.attachment_note, 1)
        notes.addWidget(self.replace_button, 0, Qt.AlignmentFlag.AlignRight)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 6)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addLayout(bottom)
        layout.addLayout(notes)

        self.setTabOrder(self.editor, self.send_button)
        self.setTabOrder(self.send_button, self.later_button)
        self.setTabOrder(self.later_button, self.from_combo)
        self.setTabOrder(self.from_combo, self.replace_button)

        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DEBOUNCE_MS)
        self._draft_timer.timeout.connect(lambda: self.draftChanged.emit(self.draft()))
        self._quiet = False  # set while the text changes programmatically

        self.editor.textChanged.connect(self._text_changed)
        self.editor.submitted.connect(self.send)
        self.send_button.clicked.connect(self.send)
        self.replace_button.clicked.connect(self.replace_special_characters)
        self.from_combo.hide()
        self.reason_label.hide()
        self.attachment_note.hide()
        self.editor.attachmentRefused.connect(self._attachment_refused)
        self._apply_colors()
        self._update()

    # -- public API -----------------------------------------------------------------------------
    def set_numbers(self, numbers: list[str], default: str | None = None) -> None:
        """The user's own numbers; the From selector shows only when there are several."""
        self._numbers = list(numbers)
        self.from_combo.clear()
        for number in self._numbers:
            self.from_combo.addItem(f"From {display(number, self._country)}", number)
        index = self._numbers.index(default) if default in self._numbers else 0
        self.from_combo.setCurrentIndex(index)
        several = len(self._numbers) > 1
        self.from_combo.setVisible(several)

    def set_country(self, country: str) -> None:
        """Numbers in this country show in national format."""
        self._country = country
        if self._numbers:
            self.set_numbers(self._numbers, self.sender_number())

    def sender_number(self) -> str:
        """The E.164 number the message goes from ("" when none is known)."""
        data = self.from_combo.currentData()
        return str(data) if data else (self._numbers[0] if self._numbers else "")

    def set_enabled_reason(self, reason: str | None) -> None:
        """Disable sending with a sentence saying why (None enables it again)."""
        self._reason = reason or None
        self.reason_label.setText(self._reason or "")
        self.reason_label.setVisible(self._reason is not None)
        self._update()

    def set_draft(self, text: str) -> None:
        """Put a stored draft in the editor without emitting draftChanged."""
        self._draft_timer.stop()
        self.attachment_note.hide()  # (another conversation, or the message went)
        self._quiet = True
        try:
            self.editor.setPlainText(text or "")
            self.editor.moveCursor(QTextCursor.MoveOperation.End)
        finally:
            self._quiet = False

    def draft(self) -> str:
        return self.editor.toPlainText()

    def focus_editor(self) -> None:
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)

    def can_send(self) -> bool:
        return self.isEnabled() and self._reason is None and bool(self.draft().strip())

    def send(self) -> None:
        """Emit sendRequested with the trimmed text and clear the editor."""
        if not self.can_send():
            return
        text = self.draft().strip()
        self.sendRequested.emit(self.sender_number(), text)
        self.set_draft("")

    def replace_special_characters(self) -> None:
        """Swap characters that force Unicode for GSM look-alikes, as one undoable step."""
        saving = gsm_saving(self.draft())
        if saving is None:
            return
        cursor = self.editor.textCursor()
        position = cursor.position()
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(saving[0])
        cursor.endEditBlock()
        cursor.setPosition(min(position, len(saving[0])))
        self.editor.setTextCursor(cursor)
        self.editor.setFocus()

    # -- internals ------------------------------------------------------------------------------
    def _text_changed(self) -> None:
        self._update()
        if not self._quiet:
            self._draft_timer.start()

    def _attachment_refused(self, sentence: str) -> None:
        self.attachment_note.setText(sentence)
        self.attachment_note.show()

    def _update(self) -> None:
        text = self.draft()
        self.counter.setText(length_text(text))
        saving = gsm_saving(text)
        if saving is None:
            self.replace_button.hide()
        else:
            self.replace_button.setText(f"Replace special characters (saves {saving[1]} SMS)")
            self.replace_button.setToolTip(
                "Curly quotes, dashes and similar characters make the message Unicode, "
                "which fits fewer characters per SMS. This swaps them for plain ones."
            )
            self.replace_button.show()
        self.send_button.setEnabled(self._reason is None and bool(text.strip()))
        self.send_button.setToolTip(self._reason or "Send (Enter). Shift+Enter: new line.")
        self.later_button.setEnabled(self.send_button.isEnabled())

    def _apply_colors(self) -> None:
        palette = self.palette()
        theme.set_text_color(self.counter, theme.muted_text(palette))
        theme.set_text_color(self.reason_label, theme.muted_text(palette))
        theme.set_text_color(self.attachment_note, theme.muted_text(palette))
        link = palette.color(QPalette.ColorRole.Link)
        theme.set_text_color(self.replace_button, link)

    def changeEvent(self, event: QEvent) -> None:  # follow light/dark switches
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_colors()
