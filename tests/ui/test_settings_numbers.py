"""The numbers editor of the settings dialog, on its own: add (Enter too), remove, make default,
and a sentence for a number that cannot be read."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt

from voipdesk.core.phone import InvalidNumber, normalize
from voipdesk.ui.settings import NumbersEditor

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

OWN1, OWN2, US = "+447700900123", "+447700900456", "+12025550143"


@pytest.fixture
def editor(qtbot):
    def make(numbers=(), country="GB") -> NumbersEditor:
        countries = [country]
        widget = NumbersEditor(list(numbers), lambda: countries[0])
        widget.countries = countries  # (the test changes the country through this)
        widget.problems = []
        widget.problem.connect(widget.problems.append)
        widget.refresh()
        qtbot.addWidget(widget)
        widget.show()
        return widget

    return make


def rows(editor: NumbersEditor) -> list[str]:
    return [editor.numbers_list.item(i).text() for i in range(editor.numbers_list.count())]


def test_enter_adds_the_number_typed_in_the_country_of_the_moment(qtbot, editor):
    numbers = editor()
    assert rows(numbers) == ["No numbers yet: add yours below."]
    assert not numbers.remove_button.isEnabled()
    qtbot.keyClicks(numbers.number_edit, "07700 900123")
    qtbot.keyClick(numbers.number_edit, Qt.Key.Key_Return)
    assert numbers.numbers() == [OWN1]
    assert numbers.number_edit.text() == ""
    assert rows(numbers) == ["07700 900123   Default"]
    numbers.number_edit.setText(" +1 202 555 0143 ")
    assert numbers.add_typed()
    numbers.number_edit.setText("07700 900123")  # already there: not twice
    assert numbers.add_typed()
    assert numbers.numbers() == [OWN1, US]
    assert numbers.numbers_list.currentRow() == 0  # the one just added (again) is selected
    numbers.countries[0] = "US"
    numbers.refresh()
    assert rows(numbers)[1] == "(202) 555-0143"  # national in the new country


def test_a_number_that_cannot_be_read_is_kept_with_its_sentence(qtbot, editor):
    numbers = editor([OWN1])
    with pytest.raises(InvalidNumber) as expected:
        normalize("12ab", "GB")
    numbers.number_edit.setText("12ab")
    assert not numbers.add_typed()
    assert numbers.problems[-1] == str(expected.value)
    assert numbers.number_edit.text() == "12ab"  # nothing typed is lost
    assert numbers.numbers() == [OWN1]
    qtbot.keyClicks(numbers.number_edit, "3")
    assert numbers.problems[-1] == ""  # edited: the sentence goes
    numbers.number_edit.clear()
    assert numbers.add_typed()  # nothing typed: nothing to add, nothing wrong


def test_remove_and_make_default_act_on_the_selected_number(qtbot, editor):
    numbers = editor([OWN1, OWN2, US])
    numbers.numbers_list.setCurrentRow(0)
    assert numbers.remove_button.isEnabled() and not numbers.make_default_button.isEnabled()
    numbers.numbers_list.setCurrentRow(2)
    qtbot.mouseClick(numbers.make_default_button, Qt.MouseButton.LeftButton)
    assert numbers.numbers() == [US, OWN1, OWN2]
    assert rows(numbers)[0].endswith("   Default") and numbers.numbers_list.currentRow() == 0
    numbers.numbers_list.setCurrentRow(2)
    qtbot.mouseClick(numbers.remove_button, Qt.MouseButton.LeftButton)
    assert numbers.numbers() == [US, OWN1]
    assert numbers.numbers_list.currentRow() == 1  # the neighbour, ready for the next click
