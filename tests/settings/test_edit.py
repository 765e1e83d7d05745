"""One edit of the settings (what the settings dialog does on OK, without the widgets): checked,
applied to the live settings, written file first and secrets second, put back if writing fails."""

from __future__ import annotations

import json

import pytest

from settings.files import read
from voipdesk.settings import Settings
from voipdesk.settings.edit import PORT_ERROR, SettingsEdit, check

OWN = "+447700900123"


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.load(tmp_path)


@pytest.mark.parametrize(
    ("typed", "field", "words"),
    [
        ({"webhook_port": "eighty"}, "webhook_port", PORT_ERROR),
        ({"webhook_port": "80"}, "webhook_port", "administrator"),
        ({"ngrok_domain": "my name.ngrok.app"}, "ngrok_domain", "domain only"),
        ({"numbers": [OWN, "12ab"]}, "numbers", "12ab"),
        ({"default_country": "XX"}, "default_country", "country code"),
        ({"api_url": "ftp://x"}, "api_url", "https://"),
    ],
)
def test_check_says_what_is_wrong_beside_which_field(settings, typed, field, words):
    errors = check(settings, typed)[1]
    assert list(errors) == [field]
    assert words in errors[field]


def test_check_reads_the_port_and_domain_as_typed(settings):
    settings.webhook_port = 53121
    values, errors = check(
        settings, {"webhook_port": " 8790 ", "ngrok_domain": " HTTPS://calm-otter.ngrok.app/ "}
    )
    assert errors == {}
    assert values == {"webhook_port": 8790, "ngrok_domain": "calm-otter.ngrok.app"}
    assert check(settings, {"webhook_port": ""})[0] == {"webhook_port": None}  # automatic
    # A port that is not a number keeps the one in use (and says so once, not twice).
    values, errors = check(settings, {"webhook_port": "eighty"})
    assert values == {"webhook_port": 53121} and errors == {"webhook_port": PORT_ERROR}
    assert settings.webhook_port == 53121  # checking changes nothing


def test_saving_writes_what_changed_and_then_the_secrets(settings):
    edit = SettingsEdit(
        settings,
        {"account_id": "acc-123", "numbers": [OWN], "notifications": True},
        {"api_token": "tok-123"},
    )
    result = edit.save()
    assert (result.error, result.keyring_problem) == (None, None)
    assert result.changed == {"account_id", "numbers", "api_token"}  # notifications was on
    assert (settings.account_id, settings.numbers) == ("acc-123", [OWN])
    assert read(settings.data_dir)["account_id"] == "acc-123"
    assert settings.secret("api_token") == "tok-123"
    assert "tok-123" not in (settings.data_dir / "settings.json").read_text()


def test_a_secret_set_to_none_is_removed(settings):
    settings.set_secret("api_token", "tok-123")
    result = SettingsEdit(settings, {}, {"api_token": None}).save()
    assert result.changed == {"api_token"}
    assert settings.secret("api_token") is None


def test_a_new_webhook_secret_is_made_only_when_asked(settings):
    old = settings.webhook_secret
    assert SettingsEdit(settings, {}).save().changed == frozenset()
    assert settings.webhook_secret == old
    result = SettingsEdit(settings, {}, regenerate_webhook_secret=True).save()
    assert result.changed == {"webhook_secret"}
    assert settings.webhook_secret != old
    assert read(settings.data_dir)["webhook_secret"] == settings.webhook_secret


def test_the_values_are_live_before_they_are_written(settings):
    """Applied first (on the GUI thread), written later (on a worker): a save the app makes in
    between (a new public URL) writes the edited values too, never the old ones."""
    edit = SettingsEdit(settings, {"account_id": "acc-123"})
    edit.apply()
    assert settings.account_id == "acc-123"
    settings.last_public_url = "https://x.example/webhook/y"
    settings.save()  # the app's save, before the edit's write
    assert read(settings.data_dir)["account_id"] == "acc-123"
    assert edit.finish(edit.write()).changed == {"account_id"}


def test_a_failed_save_puts_back_only_what_nobody_changed_since(settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    settings.data_dir = blocker
    settings.account_id, settings.numbers = "acc-old", [OWN]
    edit = SettingsEdit(
        settings,
        {"account_id": "acc-new", "numbers": [], "close_to_tray": False},
        {"api_token": "t"},
    )
    edit.apply()
    settings.numbers = ["+447700900456"]  # changed meanwhile by someone else: kept
    result = edit.finish(edit.write())
    assert result.error is not None and result.error.startswith("Your settings could not be saved")
    assert result.changed == frozenset()
    assert (settings.account_id, settings.close_to_tray) == ("acc-old", True)
    assert settings.numbers == ["+447700900456"]
    assert settings.secret("api_token") is None  # secrets only once the file is written
    assert blocker.read_text() == "a file where the data folder should be"


class RefusingKeyring:
    """A keyring backend that is there but will not store anything."""

    def get_password(self, service, user):
        return None

    def set_password(self, service, user, value):
        raise RuntimeError("locked")

    def delete_password(self, service, user):
        raise RuntimeError("locked")


def test_a_keyring_that_refuses_is_a_new_problem_after_saving(settings, monkeypatch):
    store = settings.secrets_store
    monkeypatch.setattr(store, "_keyring", RefusingKeyring())
    monkeypatch.setattr(store, "problem", None)
    assert SettingsEdit(settings, {"account_id": "a"}).save().keyring_problem is None
    result = SettingsEdit(settings, {}, {"api_token": "tok-123"}).save()
    assert result.error is None
    assert "refused" in (result.keyring_problem or "")
    assert result.changed == {"api_token"}
    assert settings.secret("api_token") == "tok-123"  # kept in memory for this run
    assert json.loads((settings.data_dir / "settings.json").read_text())["account_id"] == "a"
