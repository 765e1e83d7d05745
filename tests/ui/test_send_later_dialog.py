"""Send later in widgets: the dialog (presets in local time, the zone named, a past time refused)
and the line under a message that was sent later."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import datetime as dt

import pytest
from PySide6.QtCore import QDateTime

from voipdesk.core.scheduled import local_zone_name
from voipdesk.ui.send_later_dialog import SendLaterDialog

pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support (propagateSizeHints|raise|grabbing)"
)

FRIDAY_10 = dt.datetime(2030, 1, 4, 10, 0)  # a Friday morning, local time


def dialog(qtbot, **kwargs) -> SendLaterDialog:
    widget = SendLaterDialog(now=kwargs.pop("now", FRIDAY_10), **kwargs)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_presets_are_sensible_times_and_tomorrow_morning_is_chosen(qtbot):
    d = dialog(qtbot)
    labels = [button.text() for button, _at in d.choices]
    assert labels[0].startswith("In 1 hour — Today 11:00")
    assert labels[1].startswith("This evening — Today 18:00")
    assert labels[2].startswith("Tomorrow morning — Tomorrow 09:00")
    assert labels[3].startswith("Monday morning — Mon 7 Jan 09:00")
    assert d.when() == dt.datetime(2030, 1, 5, 9, 0).timestamp()  # the default
    assert d.ok.text() == "Schedule" and d.ok.isEnabled()
    assert local_zone_name(FRIDAY_10) in d.zone.text()  # "Times are in ... CET (UTC+01:00)"


def test_late_in_the_day_there_is_no_evening_and_sunday_offers_no_second_monday(qtbot):
    d = dialog(qtbot, now=dt.datetime(2030, 1, 6, 17, 30))  # Sunday 17:30
    labels = [button.text().split(" — ")[0] for button, _at in d.choices]
    assert labels == ["In 1 hour", "Tomorrow morning"]


def test_a_custom_time_is_used_and_a_past_one_is_refused_with_a_sentence(qtbot):
    d = dialog(qtbot)
    later = dt.datetime(2030, 2, 14, 19, 30)
    d.picker.setDateTime(QDateTime.fromSecsSinceEpoch(int(later.timestamp())))
    assert d.custom.isChecked() and d.when() == later.timestamp()
    assert d.ok.isEnabled() and not d.problem.isVisible()
    d.picker.setDateTime(QDateTime.fromSecsSinceEpoch(int(FRIDAY_10.timestamp()) - 3600))
    assert not d.ok.isEnabled()
    assert d.problem.isVisible() and "has passed" in d.problem.text()
    d.choices[0][0].setChecked(True)  # a preset again: fine
    assert d.ok.isEnabled() and not d.problem.isVisible()


def test_editing_shows_the_text_and_its_time_and_refuses_an_empty_text(qtbot):
    at = dt.datetime(2030, 1, 8, 8, 15).timestamp()
    d = dialog(qtbot, text="call me", at=at)
    assert d.windowTitle() == "Edit scheduled message" and d.ok.text() == "Save"
    assert d.text() == "call me" and d.custom.isChecked() and d.when() == at
    d.editor.setPlainText("   ")
    assert not d.ok.isEnabled() and "empty" in d.problem.text()


def test_a_message_sent_later_says_so_under_its_bubble_even_inside_a_run(qtbot, store, clock):
    """Its line ("Scheduled for 09:00 …") shows although a message follows it at once."""
    from tests.ui.thread_support import show_thread
    from voipdesk.core.models import Status
    from voipdesk.ui.thread import MessageRole

    OWN, PEER = "+447700900001", "+447700900100"
    waiting = store.schedule(OWN, PEER, "sent later", clock.now)
    taken = store.take_scheduled(waiting.id)
    store.update_outgoing(taken.id, status=Status.QUEUED, provider_id="p-1")
    clock.advance(30)
    after = store.add_outgoing(OWN, PEER, "right after")
    store.update_outgoing(after.id, status=Status.QUEUED, provider_id="p-2")
    view = show_thread(qtbot, store, waiting.conversation_id)
    model = view.model
    metas = [model.index(r, 0).data(MessageRole.Render).meta for r in range(model.rowCount())]
    assert metas[0] is not None and "Sent · Scheduled for 09:00" in metas[0][0]
    assert "Scheduled" not in metas[1][0]
