"""The Connection dialog's words on a desk on the shared inbox: which database, said as a person
says it, never with its password."""

import pytest
from PySide6.QtGui import QIcon

from voipdesk.store.location import redacted
from voipdesk.ui.shared_connection import BAD, GOOD, database_line, database_words


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("postgresql://ana@db.example.com/voipdesk", "voipdesk on db.example.com (as ana)"),
        (
            "postgresql://ana:s3cret@db.example.com:6543/shop",
            "shop on db.example.com:6543 (as ana)",
        ),
        (
            "postgresql://db.example.com/shop?password=s3cret&user=bo",
            "shop on db.example.com (as bo)",
        ),
        ("postgresql:///voipdesk?host=/var/run/postgresql", "voipdesk on this computer"),
        ("postgresql://ana@localhost/voipdesk", "voipdesk on this computer (as ana)"),
    ],
)
def test_the_database_is_named_by_its_host_and_name_never_its_password(url, words):
    said = database_words(redacted(url))
    assert said == words
    assert "s3cret" not in said and "***" not in said


def test_the_database_line_says_when_it_cannot_be_reached():
    where = redacted("postgresql://ana:s3cret@db.example.com/voipdesk")
    assert database_line(where, None) == (
        "Shared database: voipdesk on db.example.com (as ana).",
        GOOD,
    )
    text, look = database_line(where, "voipdesk cannot reach the shared database (refused).")
    assert look == BAD and "cannot be reached right now" in text and "keeps trying" in text
    assert "s3cret" not in text


def test_the_waiting_window_names_the_database_as_a_person_says_it(qtbot):
    from voipdesk.ui.shared_waiting import SharedWaitingWindow

    window = SharedWaitingWindow(
        redacted("postgresql://ana:s3cret@db.example.com/voipdesk?sslmode=verify-full"), QIcon()
    )
    qtbot.addWidget(window)
    title = window.title.text()
    assert title == "Connecting to the shared inbox: voipdesk on db.example.com (as ana)…"
