"""The shared inbox's address in settings.json: never with a password (that is in the keyring),
and the address with the keyring's password only for connecting."""

from __future__ import annotations

import json

import pytest

from voipdesk.settings import Settings
from voipdesk.settings.database import database_url_to_connect, with_password


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("postgresql://ana:hunter2@db.example.com/voip", "holds a password"),
        ("postgresql://ana@db.example.com/voip?password=hunter2", "holds a password"),
        ("mysql://ana@db.example.com/voip", "postgresql://"),
    ],
)
def test_an_address_the_file_cannot_hold_is_ignored_with_a_sentence(tmp_path, address, why):
    (tmp_path / "settings.json").write_text(json.dumps({"database_url": address}))
    settings = Settings.load(tmp_path)
    assert settings.database_url == ""
    [problem] = settings.problems
    assert why in problem and "this computer only" in problem
    assert "database_url" in Settings(database_url=address).validate()


def test_the_password_is_added_for_connecting_and_the_address_keeps_its_options(tmp_path):
    settings = Settings.load(tmp_path)
    assert database_url_to_connect(settings) is None  # empty: this computer only
    settings.database_url = "postgresql://ana@db.example.com/voip?sslmode=verify-full"
    settings.set_secret("database_password", "p@ss word&=")
    url = database_url_to_connect(settings)
    assert (
        url
        == "postgresql://ana@db.example.com/voip?sslmode=verify-full&password=p%40ss%20word%26%3D"
    )
    assert with_password(settings.database_url, None) == settings.database_url
    settings.save()
    assert b"p@ss" not in (tmp_path / "settings.json").read_bytes()
