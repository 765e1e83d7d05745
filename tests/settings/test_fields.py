"""Each value of settings.json checked on load: a bad one is ignored with a sentence naming the
key and the file, an unreadable file is moved aside, and a secret typed into it is dropped."""

from __future__ import annotations

import json
import logging
import re

import pytest

from settings.files import kept_aside, read
from voipdesk.settings import Settings


@pytest.mark.parametrize(
    ("port", "allowed"),
    [
        *[(0, True), (1024, True), (8790, True), (65535, True)],
        *[(1, False), (80, False), (1023, False), (65536, False), (-1, False)],
    ],
)
def test_the_file_and_validate_accept_the_same_ports(tmp_path, port, allowed):
    """0 means any free port (as empty does); 1..1023 need administrator rights."""
    (tmp_path / "settings.json").write_text(json.dumps({"webhook_port": port}))
    s = Settings.load(tmp_path)
    assert (s.webhook_port == port) is allowed
    assert ("webhook_port" not in Settings(webhook_port=port).validate()) is allowed
    if not allowed:
        [problem] = s.problems
        assert "from 1024 to 65535" in problem and s.webhook_port is None


def test_unknown_keys_in_the_file_are_ignored(tmp_path):
    (tmp_path / "settings.json").write_text(json.dumps({"account_id": "a", "from_the_future": 1}))
    assert Settings.load(tmp_path).account_id == "a"


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[1, 2]", b"", b"\xff\xfe garbage", b"null", b'{"account_id": "a",}'],
)
def test_a_corrupt_file_is_moved_aside_with_a_message_and_defaults_used(tmp_path, caplog, content):
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="voipdesk.settings"):
        s = Settings.load(tmp_path)
    assert s.account_id == "" and s.numbers == []
    [backup] = kept_aside(tmp_path)
    assert re.fullmatch(r"settings\.json\.bad-\d{8}-\d{6}", backup.name)
    assert backup.read_bytes() == content  # what the user typed, byte for byte
    assert isinstance(read(tmp_path), dict)  # a fresh, valid file in its place
    [problem] = s.problems
    assert str(path) in problem and backup.name in problem and "default settings" in problem
    assert problem in caplog.text


def test_a_second_corrupt_file_never_overwrites_the_first_one_kept(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("{first")
    Settings.load(tmp_path)
    path.write_text("{second")
    Settings.load(tmp_path)  # within the same second: the name gets a suffix
    assert sorted(p.read_text() for p in kept_aside(tmp_path)) == ["{first", "{second"]


BAD_VALUES = [
    ("webhook_port", "abc", "port number"),
    ("webhook_port", "8790", "port number"),
    ("webhook_port", 70000, "port number"),
    ("webhook_port", True, "port number"),
    ("webhook_port", 87.5, "port number"),
    ("numbers", "+447700900001", "list of numbers"),
    ("numbers", ["+447700900001", 447700900002], "list of numbers"),
    ("numbers", {"a": 1}, "list of numbers"),
    ("default_country", "GBR", "two-letter"),
    ("default_country", 44, "two-letter"),
    ("default_country", "XX", "country code"),
    ("notifications", "false", "true or false"),
    ("close_to_tray", "yes", "true or false"),
    ("close_to_tray", 0, "true or false"),
    ("demo", "true", "true or false"),
    ("account_id", 12345, "not text"),
    ("ngrok_domain", ["x"], "not text"),
    ("tunnel_mode", "carrier-pigeon", '"ngrok" or "none"'),
    ("api_url", "ftp://x", "https://"),
    ("api_url", 1, "not text"),
    ("last_public_url", False, "not text"),
]


@pytest.mark.parametrize(("key", "value", "words"), BAD_VALUES)
def test_a_value_of_the_wrong_type_is_ignored_with_a_warning(tmp_path, caplog, key, value, words):
    path = tmp_path / "settings.json"
    good = {"account_id": "acct-1", "numbers": ["+447700900001"], "webhook_port": 8790}
    doc = {**good, "webhook_secret": "w" * 32, key: value}
    path.write_text(json.dumps(doc))
    with caplog.at_level(logging.WARNING, logger="voipdesk.settings"):
        s = Settings.load(tmp_path)  # no exception, whatever was typed
    default = Settings()
    expected = {**good, key: getattr(default, key)}
    for name, want in expected.items():
        assert getattr(s, name) == want, name
    [problem] = s.problems
    assert f"“{key}”" in problem and str(path) in problem and words in problem
    assert json.dumps(value) in problem  # the value as it is in the file
    assert problem in caplog.text
    assert s.validate().keys() <= {"default_country"}  # nothing broken reaches the app
    # Nothing is written over the file until something is saved; then it is kept aside first.
    assert json.loads(path.read_text()) == doc and kept_aside(tmp_path) == []
    s.save()
    [backup] = kept_aside(tmp_path)
    assert json.loads(backup.read_text()) == doc
    assert key not in read(tmp_path) or read(tmp_path)[key] != value
    s.save()
    assert len(kept_aside(tmp_path)) == 1  # once


def test_null_means_not_set(tmp_path):
    (tmp_path / "settings.json").write_text(
        json.dumps({"account_id": None, "numbers": None, "webhook_port": None, "demo": None})
    )
    s = Settings.load(tmp_path)
    assert (s.account_id, s.numbers, s.webhook_port, s.demo) == ("", [], None, False)
    assert s.problems == []


def test_values_are_tidied_not_refused(tmp_path):
    (tmp_path / "settings.json").write_text(
        json.dumps({"default_country": " us ", "tunnel_mode": "NONE", "webhook_port": 0})
    )
    s = Settings.load(tmp_path)
    assert (s.default_country, s.tunnel_mode, s.webhook_port) == ("US", "none", 0)
    assert s.problems == []


def test_a_bad_webhook_secret_is_replaced_and_the_user_told_the_url_changes(tmp_path):
    (tmp_path / "settings.json").write_text(json.dumps({"webhook_secret": "short/../x"}))
    s = Settings.load(tmp_path)
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", s.webhook_secret)
    [problem] = s.problems
    assert "webhook_secret" in problem and "address changes" in problem
    assert json.loads(kept_aside(tmp_path)[0].read_text()) == {"webhook_secret": "short/../x"}


def test_keys_of_a_newer_version_are_kept_on_save(tmp_path):
    (tmp_path / "settings.json").write_text(
        json.dumps({"account_id": "a", "from_the_future": {"x": [1, 2]}})
    )
    s = Settings.load(tmp_path)
    assert s.problems == []
    s.account_id = "b"
    s.save()
    assert read(tmp_path)["from_the_future"] == {"x": [1, 2]}
    assert read(tmp_path)["account_id"] == "b"
    assert kept_aside(tmp_path) == []


def test_a_secret_put_into_the_file_by_hand_is_dropped(tmp_path):
    (tmp_path / "settings.json").write_text(
        json.dumps({"account_id": "a", "webhook_secret": "w" * 32, "api_token": "hand-typed"})
    )
    s = Settings.load(tmp_path)
    assert s.secret("api_token") is None  # not read from the file
    [problem] = s.problems
    assert "“api_token”" in problem and "keyring" in problem and "hand-typed" not in problem
    s.save()
    assert "hand-typed" not in (tmp_path / "settings.json").read_text("utf-8")


def test_a_hand_typed_secret_is_not_copied_anywhere_on_save(tmp_path):
    (tmp_path / "settings.json").write_text(json.dumps({"apiToken": "hand-typed-2"}))
    s = Settings.load(tmp_path)
    assert "apiToken" in s.problems[0]
    s.save()
    assert kept_aside(tmp_path) == []
    assert not any("hand-typed-2" in p.read_text() for p in tmp_path.iterdir() if p.is_file())
