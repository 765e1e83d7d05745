"""The app backs the database up daily on its workers: at start when the newest backup is a day
old; a backup that fails is said once in the window while receiving goes on."""

from __future__ import annotations

import httpx
import pytest

from voipdesk.app import Controller, make_application
from voipdesk.store import Store, database_path
from voipdesk.store.backup import backup_dir, backups


@pytest.fixture
def start_demo(aio, tmp_path, monkeypatch):
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    made: list[Controller] = []

    def start() -> Controller:
        controller = Controller(make_application(), tmp_path, demo=True, confirm_quit=False)
        made.append(controller)
        aio(controller.start())
        return controller

    yield start
    for controller in made:
        aio(controller.shutdown())


def test_the_app_backs_up_at_start_when_there_is_no_backup_yet(start_demo, tmp_path, qtbot):
    controller = start_demo()
    data_dir = controller.services.data_dir
    qtbot.waitUntil(lambda: len(backups(data_dir)) == 1, timeout=15000)
    with Store(backups(data_dir)[0]) as copy, Store(database_path(data_dir)) as live:
        assert copy.message_count() == live.message_count() > 0  # the demo's seeded messages


def test_a_failing_backup_is_said_in_the_window_and_receiving_goes_on(start_demo, tmp_path, qtbot):
    data_dir = tmp_path / "demo"
    data_dir.mkdir()
    backup_dir(data_dir).write_text("not a folder")  # where the backups go cannot be written
    controller = start_demo()
    bar = controller.window.statusBar()
    qtbot.waitUntil(
        lambda: "daily backup" in (bar.toolTip() or bar.currentMessage()), timeout=15000
    )
    url = controller.services.local_webhook_url()
    answer = httpx.post(
        url,
        json={"from": "+447700900100", "to": "+447700900001", "mdr_id": "after-1",
              "body": "still receiving", "type": "sms", "status": "received"},
        timeout=10,
    )  # fmt: skip
    assert answer.status_code == 200
    assert controller.services.receiving.listener_running
