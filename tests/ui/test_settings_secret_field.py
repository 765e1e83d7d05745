"""A secret's field in the settings dialog: what counts as a change, and what as removing it."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtWidgets import QLineEdit

from voipdesk.ui.settings import SecretField


@pytest.fixture
def field(qtbot):
    widget = SecretField(None, "Reading your keyring…")
    qtbot.addWidget(widget)
    widget.set_stored("stored-123", "••• stored")
    return widget


def test_typing_a_new_value_is_a_change_and_the_same_one_is_not(field):
    assert field.change() == (False, None)  # left empty: the stored one is kept
    field.edit.setText("  new-456 ")
    assert field.change() == (True, "new-456")
    field.edit.setText("stored-123")
    assert field.change() == (False, "stored-123")


def test_only_a_shown_value_cleared_means_remove_it(field):
    assert field.edit.text() == "" and field.edit.echoMode() == QLineEdit.EchoMode.Password
    field.show_button.setChecked(True)
    assert field.edit.text() == "stored-123"
    assert field.edit.echoMode() == QLineEdit.EchoMode.Normal
    field.edit.clear()
    assert field.change() == (True, None)
    field.show_button.setChecked(False)
    assert field.show_button.text() == "Show"
    assert field.change() == (True, None)
