"""Secrets: in the keyring (or in memory for this run), never in settings.json; read off the GUI
thread, and the keyring is only looked for when a secret is needed."""

from __future__ import annotations

import keyring

from settings.files import read
from voipdesk.settings import SecretStore, Settings


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


def test_without_a_keyring_secrets_stay_in_memory_and_the_user_is_told(tmp_path):
    store = SecretStore(tmp_path)
    assert not store.persistent
    assert store.problem and "keyring" in store.problem and "memory" in store.problem
    # Said to a person: what to install, not environment variable names (README has those).
    assert "GNOME Keyring" in store.problem and "VOIPDESK_" not in store.problem
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
