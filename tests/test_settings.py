"""Settings: a JSON file for plain values, secrets never in it, environment overrides."""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import os
import re
import stat
import threading
from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import fail

import voipdesk.private
from voipdesk.provider.wire import DEFAULT_SEND_URL
from voipdesk.settings import SecretStore, Settings, resolve_data_dir

ENV = (
    "VOIPDESK_DATA_DIR",
    "VOIPDESK_API_URL",
    "VOIPDESK_ACCOUNT_ID",
    "VOIPDESK_API_TOKEN",
    "VOIPDESK_NGROK_AUTHTOKEN",
    "VOIPDESK_COUNTRY",
    "VOIPDESK_WEBHOOK_PORT",
    "VOIPDESK_TUNNEL",
)


@pytest.fixture(autouse=True)
def _no_voipdesk_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _no_keyring() -> Iterator[None]:
    """This machine has no keyring backend; make sure of it on a desktop too."""
    before = keyring.get_keyring()
    if not isinstance(before, fail.Keyring):
        keyring.set_keyring(fail.Keyring())
    yield
    if not isinstance(before, fail.Keyring):
        keyring.set_keyring(before)


def read(path) -> dict:
    return json.loads((path / "settings.json").read_text("utf-8"))


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


def test_read_secrets_says_where_they_are_kept(tmp_path, monkeypatch):
    s = Settings.load(tmp_path)
    s.set_secret("api_token", "tok-stored-123")
    monkeypatch.setenv("VOIPDESK_NGROK_AUTHTOKEN", "ngrok-from-env")
    found = s.read_secrets(["api_token", "ngrok_authtoken"])
    assert found.stored == {"api_token": "tok-stored-123", "ngrok_authtoken": ""}
    assert found.effective == {"api_token": "tok-stored-123", "ngrok_authtoken": "ngrok-from-env"}
    store = s.secrets_store
    assert (found.persistent, found.where, found.problem) == (
        store.persistent,
        store.where,
        store.problem,
    )
    assert not found.persistent and "memory" in found.where


def test_read_secrets_treats_a_broken_backend_as_nothing_stored(tmp_path, monkeypatch):
    s = Settings.load(tmp_path)

    def broken(name):
        raise RuntimeError("D-Bus went away")

    monkeypatch.setattr(s.secrets_store, "get", broken)
    found = s.read_secrets(["api_token"])
    assert found.stored == found.effective == {"api_token": ""}


def test_unknown_keys_in_the_file_are_ignored(tmp_path):
    (tmp_path / "settings.json").write_text(json.dumps({"account_id": "a", "from_the_future": 1}))
    assert Settings.load(tmp_path).account_id == "a"


def kept_aside(data_dir) -> list:
    return sorted(data_dir.glob("settings.json.bad-*"))


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


def test_no_secret_is_ever_written_to_settings_json(tmp_path):
    s = Settings.load(tmp_path)
    s.set_secret("api_token", "tok-NEVER-IN-FILE-1")
    s.set_secret("ngrok_authtoken", "ngrok-NEVER-IN-FILE-2")
    s.account_id = "acct"
    s.save()
    text = (tmp_path / "settings.json").read_text("utf-8")
    assert "NEVER-IN-FILE" not in text
    assert not {"api_token", "apiToken", "ngrok_authtoken"} & set(read(tmp_path))
    assert s.secret("api_token") == "tok-NEVER-IN-FILE-1"  # still usable in this run


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


def test_without_a_keyring_secrets_stay_in_memory_and_the_user_is_told(tmp_path):
    store = SecretStore(tmp_path)
    assert not store.persistent
    assert store.problem and "keyring" in store.problem and "memory" in store.problem
    assert "VOIPDESK_API_TOKEN" in store.problem
    assert store.where == "memory only (no system keyring)"
    assert store.get("api_token") is None
    store.set("api_token", "  in-memory-token  ")
    assert store.get("api_token") == "in-memory-token"
    store.set("api_token", "")
    assert store.get("api_token") is None
    store.set("api_token", "again")
    assert SecretStore(tmp_path).get("api_token") is None  # not kept beyond this object
    assert not any(p.name != "settings.json" for p in tmp_path.iterdir())  # no file fallback


def test_settings_expose_the_secret_store(tmp_path):
    s = Settings.load(tmp_path)
    assert s.secrets_store is not None and not s.secrets_store.persistent
    s.set_secret("api_token", "t")
    assert s.secret("api_token") == "t"


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


def test_a_hand_typed_secret_is_not_copied_anywhere_on_save(tmp_path):
    (tmp_path / "settings.json").write_text(json.dumps({"apiToken": "hand-typed-2"}))
    s = Settings.load(tmp_path)
    assert "apiToken" in s.problems[0]
    s.save()
    assert kept_aside(tmp_path) == []
    assert not any("hand-typed-2" in p.read_text() for p in tmp_path.iterdir() if p.is_file())


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


def test_the_keyring_backend_is_found_on_first_use_not_at_load(tmp_path, monkeypatch):
    calls: list[int] = []
    real = keyring.get_keyring
    monkeypatch.setattr(keyring, "get_keyring", lambda: calls.append(1) or real())
    s = Settings.load(tmp_path)
    assert calls == []  # loading settings does not look for a keyring
    monkeypatch.setenv("VOIPDESK_API_TOKEN", "from-env")
    assert s.secret("api_token") == "from-env"
    assert calls == []  # `voipdesk send` with VOIPDESK_API_TOKEN never needs one
    monkeypatch.delenv("VOIPDESK_API_TOKEN")
    assert s.secret("api_token") is None
    assert calls == [1]
    # Still no keyring here: memory only, and the user is told.
    store = s.secrets_store
    assert not store.persistent and "memory" in (store.problem or "")
    assert calls == [1]  # looked for once
