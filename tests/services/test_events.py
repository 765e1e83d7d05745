"""The services' tiny observer."""

from __future__ import annotations

import pytest

from voipdesk.services import Event


def test_every_callback_hears_the_event_in_the_order_connected():
    event: Event[int, str] = Event("test")
    heard: list[tuple] = []
    event.connect(lambda n, s: heard.append(("first", n, s)))
    event.connect(lambda n, s: heard.append(("second", n, s)))
    event.emit(1, "a")
    assert heard == [("first", 1, "a"), ("second", 1, "a")]


def test_a_disconnected_callback_hears_nothing_more():
    event: Event[int] = Event("test")
    heard: list[int] = []
    event.connect(heard.append)
    event.emit(1)
    event.disconnect(heard.append)
    event.emit(2)
    assert heard == [1]


def test_a_failing_callback_does_not_keep_the_event_from_the_others():
    event: Event[int] = Event("test")
    heard: list[int] = []

    def broken(_n: int) -> None:
        raise ValueError("broken")

    event.connect(broken)
    event.connect(heard.append)
    with pytest.raises(ValueError, match="broken"):
        event.emit(1)
    assert heard == [1]
