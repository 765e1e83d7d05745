"""Settings: a JSON file for plain values, secrets never in it, environment overrides."""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import fail

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


def test_unknown_keys_in_the_file_are_ignored(tmp_path):
    (tmp_path / "settings.json").write_text(json.dumps({"account_id": "a", "from_the_future": 1}))
    assert Settings.load(tmp_path).account_id == "a"


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "", "\xff\xfe garbage", "null"])
def test_a_corrupt_file_is_kept_aside_and_defaults_used(tmp_path, caplog, content):
    path = tmp_path / "settings.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    with caplog.at_level(logging.WARNING, logger="voipdesk.settings"):
        s = Settings.load(tmp_path)
    assert s.account_id == "" and s.numbers == []
    backup = tmp_path / "settings.json.broken"
    assert backup.read_bytes() == content.encode("utf-8", "surrogateescape")
    assert isinstance(read(tmp_path), dict)  # a fresh, valid file in its place
    assert "unreadable" in caplog.text


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
