"""The numbers shown at start, kept for the next start (numbers-shown.json): taken up only beside
the same phonenumbers, never trusted when damaged, user-only, written only when it changed."""

from __future__ import annotations

import json
import os
import stat

import pytest

from voipdesk.core import phone, phone_memo
from voipdesk.settings import Settings

GB_MOBILE, US = "+447700900123", "+12025550123"


@pytest.fixture(autouse=True)
def fresh_memory():
    """Each test starts as a new process would: nothing remembered, nothing asked."""

    def forget() -> None:
        phone.remembered, phone.remembered_regions = {}, frozenset()
        phone.asked.clear()
        phone.display.cache_clear()

    forget()
    yield
    forget()


def a_start_showing(folder, *numbers: str, country: str = "GB") -> None:
    """What a start does: recall, show the numbers, keep what it showed."""
    phone_memo.recall(folder)
    for number in numbers:
        phone.display(number, country)
    asked = list(phone.asked)
    phone.asked.clear()
    phone.display.cache_clear()
    phone_memo.keep(folder, asked)


def test_the_next_start_shows_the_numbers_as_phonenumbers_did(tmp_path):
    a_start_showing(tmp_path, GB_MOBILE, US)
    record = tmp_path / phone_memo.FILE_NAME
    if os.name == "posix":
        assert stat.S_IMODE(record.stat().st_mode) == 0o600  # it names numbers
    assert phone_memo.recall(tmp_path)
    assert phone.remembered == {
        (GB_MOBILE, "GB"): "07700 900123",
        (US, "GB"): "+1 202-555-0123",
    }
    assert phone.display(GB_MOBILE, "gb") == "07700 900123"
    assert phone.supported_region("GB") and not phone.supported_region("XX")


def test_a_record_written_beside_another_phonenumbers_is_not_used(tmp_path):
    a_start_showing(tmp_path, GB_MOBILE)
    record = tmp_path / phone_memo.FILE_NAME
    data = json.loads(record.read_text())
    data["library"] = "/elsewhere/phonenumbers/__init__.py:1:2"
    data["shown"] = [[GB_MOBILE, "GB", "an older format"]]
    record.write_text(json.dumps(data))
    assert not phone_memo.recall(tmp_path)
    assert phone.display(GB_MOBILE, "GB") == "07700 900123"


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[]",
        '{"library": 1}',
        "{}",
        '{"library": "%s", "regions": ["GB"], "shown": [["+447700900123", "GB"]]}',
        '{"library": "%s", "regions": ["GB"], "shown": [["+447700900123", "GB", 7]]}',
        '{"library": "%s", "regions": [], "shown": []}',
    ],
)
def test_a_damaged_record_is_not_used_and_the_next_keep_replaces_it(tmp_path, text):
    record = tmp_path / phone_memo.FILE_NAME
    record.write_text(text.replace("%s", phone_memo.library() or ""))
    assert not phone_memo.recall(tmp_path)
    assert phone.display(GB_MOBILE, "GB") == "07700 900123"
    a_start_showing(tmp_path, GB_MOBILE)
    assert phone_memo.recall(tmp_path)


def test_a_start_that_showed_what_was_remembered_does_not_write_again(tmp_path):
    a_start_showing(tmp_path, GB_MOBILE)
    record = tmp_path / phone_memo.FILE_NAME
    os.utime(record, ns=(1, 1))
    a_start_showing(tmp_path, GB_MOBILE)
    assert record.stat().st_mtime_ns == 1
    a_start_showing(tmp_path, GB_MOBILE, US)  # a new number: written
    assert record.stat().st_mtime_ns != 1


def test_settings_check_the_country_against_the_remembered_regions_too(tmp_path):
    a_start_showing(tmp_path, GB_MOBILE)
    assert phone_memo.recall(tmp_path)
    (tmp_path / "settings.json").write_text(json.dumps({"default_country": "XX"}))
    settings = Settings.load(tmp_path)
    assert settings.default_country == "GB"  # ignored, as without the record
    assert any("XX" in problem for problem in settings.problems)
