"""Settings: a JSON file for plain values, saved whole and user-only, environment overrides, and
the checks the settings dialog shows."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
import stat
import threading
from collections.abc import Iterator

import pytest

import voipdesk.private
from settings.files import kept_aside, read
from voipdesk.provider.wire import DEFAULT_SEND_URL
from voipdesk.settings import Settings, resolve_data_dir


def test_defaults_on_first_start(tmp_path):
    s = Settings.load(tmp_path)
    assert (s.account_id, s.numbers, s.default_country, s.tunnel_mode) == ("", [], "GB", "ngrok")
    assert s.default_number is None and not s.configured
    assert (tmp_path / "settings.json").exists()  # the webhook secret was saved at once


def test_save_and_load_round_trip(tmp_path):
    s = Settings.load(tmp_path)
    s.account_id = "acct-1"
    s.numbers = ["+447700900001", "+447700900002"]
    s.default_country = "US"
    s.ngrok_domain = "my-name.ngrok-free.app"
    s.webhook_port = 8790
    s.tunnel_mode = "none"
    s.api_url = "http://127.0.0.1:9/v1/sms/send"
    s.notifications = False
    s.close_to_tray = False
    s.last_public_url = "https://my-name.ngrok-free.app/webhook/x"
    s.save()
    again = Settings.load(tmp_path)
    assert again == s
    assert again.default_number == "+447700900001"
    assert not list(tmp_path.glob("*.tmp"))  # written atomically, no leftovers


def test_saves_from_two_threads_never_interleave(tmp_path, monkeypatch):
    """The dialog and the app (a new public URL) both save from worker threads: one save
    waits for the other, and the file ends up whole, with the last save's values."""
    first = Settings.load(tmp_path)
    second = Settings.load(tmp_path)
    first.account_id, second.account_id = "from-first", "from-second"
    in_first, release = threading.Event(), threading.Event()
    real_fsync = os.fsync
    calls = []

    def slow_fsync(fd):
        calls.append(fd)
        if len(calls) == 1:  # the first save stops half-way through writing
            in_first.set()
            release.wait(5)
        real_fsync(fd)

    monkeypatch.setattr(voipdesk.private.os, "fsync", slow_fsync)
    a = threading.Thread(target=first.save)
    a.start()
    assert in_first.wait(5)
    b = threading.Thread(target=second.save)
    b.start()
    b.join(0.3)
    assert b.is_alive()  # waits for the first save instead of writing alongside it
    release.set()
    a.join(5)
    b.join(5)
    assert read(tmp_path)["account_id"] == "from-second"
    assert not list(tmp_path.glob("*.tmp"))


def test_a_stale_temp_file_is_neither_used_nor_in_the_way(tmp_path):
    """Each save writes a temp file of its own: a settings.json.tmp left by a crash (or being
    written by someone else) is not opened, truncated or replaced."""
    s = Settings.load(tmp_path)
    stale = tmp_path / "settings.json.tmp"
    stale.mkdir()  # not even writable as a file
    s.account_id = "acct-1"
    s.save()
    assert read(tmp_path)["account_id"] == "acct-1"
    assert stale.is_dir()
    if os.name == "posix":
        assert stat.S_IMODE(os.stat(tmp_path / "settings.json").st_mode) == 0o600


def test_the_webhook_secret_is_created_once_and_unguessable(tmp_path):
    first = Settings.load(tmp_path).webhook_secret
    assert Settings.load(tmp_path).webhook_secret == first
    assert re.fullmatch(r"[A-Za-z0-9_-]+", first)
    assert len(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4))) * 8 >= 128
    others = {Settings.load(tmp_path / str(i)).webhook_secret for i in range(20)}
    assert len(others) == 20 and first not in others


def test_regenerating_the_webhook_secret(tmp_path):
    s = Settings.load(tmp_path)
    old = s.webhook_secret
    new = s.regenerate_webhook_secret()
    assert new != old and len(new) >= len(old)
    assert Settings.load(tmp_path).webhook_secret == new


def test_environment_overrides(tmp_path, monkeypatch):
    s = Settings.load(tmp_path)
    s.account_id, s.api_url, s.default_country, s.webhook_port = "file-acct", "", "gb", 8000
    assert (s.effective_account_id, s.effective_api_url, s.effective_country) == (
        "file-acct",
        DEFAULT_SEND_URL,
        "GB",
    )
    assert (s.effective_port, s.effective_tunnel) == (8000, "ngrok")
    monkeypatch.setenv("VOIPDESK_ACCOUNT_ID", " env-acct ")
    monkeypatch.setenv("VOIPDESK_API_URL", "http://127.0.0.1:8790/v1/sms/send")
    monkeypatch.setenv("VOIPDESK_COUNTRY", "us")
    monkeypatch.setenv("VOIPDESK_WEBHOOK_PORT", "9123")
    monkeypatch.setenv("VOIPDESK_TUNNEL", "NONE")
    monkeypatch.setenv("VOIPDESK_API_TOKEN", "env-token")
    assert s.effective_account_id == "env-acct"
    assert s.effective_api_url == "http://127.0.0.1:8790/v1/sms/send"
    assert s.effective_country == "US"
    assert (s.effective_port, s.effective_tunnel) == (9123, "none")
    assert s.secret("api_token") == "env-token"
    s.numbers = ["+447700900001"]
    assert s.configured
    monkeypatch.setenv("VOIPDESK_WEBHOOK_PORT", "eighty")
    monkeypatch.setenv("VOIPDESK_TUNNEL", "carrier-pigeon")
    assert (s.effective_port, s.effective_tunnel) == (8000, "ngrok")  # nonsense is ignored
    # The environment is never written back into the file.
    s.save()
    assert read(tmp_path)["account_id"] == "file-acct"


def test_the_api_url_setting_is_used_without_the_environment(tmp_path):
    s = Settings.load(tmp_path)
    s.api_url = " http://127.0.0.1:1/x "
    assert s.effective_api_url == "http://127.0.0.1:1/x"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("default_country", "XX", "country code"),
        ("numbers", ["+447700900001", "hello"], "hello"),
        ("webhook_port", 70000, "1024"),
        ("webhook_port", 80, "administrator"),
        ("api_url", "ftp://x", "https://"),
        ("ngrok_domain", "https://x.ngrok.app/", "domain only"),
    ],
)
def test_validate_says_what_is_wrong_with_each_field(tmp_path, field, value, words):
    s = Settings.load(tmp_path)
    assert s.validate() == {}
    setattr(s, field, value)
    errors = s.validate()
    assert list(errors) == [field]
    assert words in errors[field] and errors[field].endswith(".")


def test_the_data_dir_option_beats_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("VOIPDESK_DATA_DIR", str(tmp_path / "env"))
    assert resolve_data_dir(tmp_path / "arg") == (tmp_path / "arg").resolve()
    assert resolve_data_dir(None) == (tmp_path / "env").resolve()
    assert (tmp_path / "env").is_dir() and (tmp_path / "arg").is_dir()


# -- user-only files ---------------------------------------------------------------------------
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """A umask that would make new files world-readable (0644) unless created user-only."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@posix_only
def test_settings_json_and_a_new_data_dir_are_user_only(tmp_path, loose_umask):
    # settings.json holds the webhook secret: the capability in the public webhook URL.
    data_dir = resolve_data_dir(tmp_path / "new" / "profile")
    s = Settings.load(data_dir)
    assert mode(data_dir) == 0o700
    assert mode(data_dir / "settings.json") == 0o600
    s.account_id = "changed"
    s.save()
    assert mode(data_dir / "settings.json") == 0o600


@posix_only
def test_a_readable_settings_json_of_an_older_version_is_made_user_only(tmp_path, loose_umask):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"webhook_secret": "w" * 32}))
    os.chmod(path, 0o644)
    Settings.load(tmp_path)
    assert mode(path) == 0o600


@posix_only
def test_a_file_kept_aside_is_user_only(tmp_path, loose_umask):
    (tmp_path / "settings.json").write_text(json.dumps({"webhook_port": "abc"}))
    Settings.load(tmp_path)  # saves a new secret: the original is kept aside first
    [aside] = kept_aside(tmp_path)
    assert mode(aside) == 0o600


@posix_only
def test_a_folder_the_user_chose_keeps_its_mode(tmp_path, loose_umask):
    chosen = tmp_path / "Documents"
    chosen.mkdir(mode=0o755)
    os.chmod(chosen, 0o755)
    resolve_data_dir(chosen)
    assert mode(chosen) == 0o755


def test_a_copy_of_the_settings_saved_first_keeps_the_file_aside_once(tmp_path):
    # The settings dialog saves a dataclasses.replace() copy; the app may later save its own.
    (tmp_path / "settings.json").write_text(
        json.dumps({"webhook_secret": "w" * 32, "webhook_port": "abc"})
    )
    s = Settings.load(tmp_path)
    copy = dataclasses.replace(s, account_id="from-the-dialog")
    copy.save()
    s.last_public_url = "https://x.example/webhook/y"
    s.save()
    [aside] = kept_aside(tmp_path)
    assert json.loads(aside.read_text())["webhook_port"] == "abc"
