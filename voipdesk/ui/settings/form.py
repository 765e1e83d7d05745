"""The rows of the settings pages: a label, the field, a note when an environment variable
overrides it, its error line (hidden until needed) and a muted hint saying where the value comes
from. One Form builds every page, so the labels share one column across the tabs."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLayout,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from voipdesk.store.location import redacted
from voipdesk.ui import theme
from voipdesk.ui.labels import plain_label

# Settings that an environment variable overrides while it is set (see Settings.effective_*).
ENV_OVERRIDES = {
    "account_id": "VOIPDESK_ACCOUNT_ID",
    "default_country": "VOIPDESK_COUNTRY",
    "webhook_port": "VOIPDESK_WEBHOOK_PORT",
    "api_url": "VOIPDESK_API_URL",
    "tunnel_mode": "VOIPDESK_TUNNEL",
    "database_url": "VOIPDESK_DATABASE_URL",
}


class Form:
    """Builds the pages, one after the other (start(), then its rows), and keeps their labels."""

    def __init__(self) -> None:
        self.errors: dict[str, QLabel] = {}  # field name -> its error line
        self.page_of: dict[str, int] = {}  # field name -> the index of its page
        self.env_notes: dict[str, QLabel] = {}  # field name -> "Now …, from VOIPDESK_…"
        self._muted: list[QLabel] = []  # hints and intros
        self._row_labels: list[QLabel] = []
        self._layout: QFormLayout | None = None
        self._page = -1

    def start(self, page: QWidget) -> None:
        """The rows from now on go on this page (the next tab)."""
        form = QFormLayout(page)
        form.setContentsMargins(16, 16, 16, 16)
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(14)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._layout = form
        self._page += 1

    def intro(self, text: str) -> QLabel:
        """A muted paragraph across the page."""
        assert self._layout is not None
        label = plain_label(text, wrap=True)
        self._muted.append(label)
        self._layout.addRow(label)
        return label

    def row(
        self,
        text: str,
        field: QWidget | QLayout,
        hint: str,
        *,
        key: str | None = None,
        focus: QWidget | None = None,
    ) -> None:
        """A labelled field with its error line (hidden until needed) and a muted hint."""
        assert self._layout is not None
        box = QVBoxLayout()
        box.setSpacing(3)
        if isinstance(field, QLayout):
            box.addLayout(field)
        else:
            box.addWidget(field)
        env = ENV_OVERRIDES.get(key or "")
        value = os.environ.get(env, "").strip() if env else ""
        if env and value:  # the environment wins over this field: say so, and with what
            value = redacted(value)  # (a database address may hold a password)
            note = plain_label(
                f"Now {value}, from the environment variable {env}. "
                "What you set here applies when that variable is not set.",
                wrap=True,
                name=f"{text.replace('&', '')} is set by {env}",
            )
            box.addWidget(note)
            self.env_notes[key or ""] = note
        if key is not None:
            error = plain_label(wrap=True, name=f"Problem with {text.replace('&', '').lower()}")
            error.hide()
            box.addWidget(error)
            self.errors[key] = error
            self.page_of[key] = self._page
        if hint:
            hint_label = plain_label(hint, wrap=True)
            box.addWidget(hint_label)
            self._muted.append(hint_label)
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
        self._layout.addRow(label, box)

    def line_up(self) -> None:
        """One label column for every tab, so the fields do not jump sideways between tabs."""
        # (+3: drawn with the mnemonic underlined, a label loses its kerning and grows.)
        width = max(label.sizeHint().width() for label in self._row_labels) + 3
        for label in self._row_labels:
            label.setMinimumWidth(width)

    def set_error(self, key: str, sentence: str | None) -> None:
        """Show a sentence beside a field, or (None) hide it."""
        label = self.errors.get(key)
        if label is None:
            return
        label.setText(sentence or "")
        label.setVisible(bool(sentence))

    def apply_colors(self, palette: QPalette) -> None:
        error, muted = theme.error_text(palette), theme.muted_text(palette)
        for label in self.errors.values():
            theme.set_text_color(label, error)
        for label in (*self._muted, *self.env_notes.values()):
            theme.set_text_color(label, muted)


def scrolling(page: QWidget) -> QScrollArea:
    """A page in a scroll area, as a tab."""
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
