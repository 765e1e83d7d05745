"""The listener's port: 127.0.0.1 only, and a taken port said in a sentence."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.receiver.listener_support import SECRET
from voipdesk.receiver.listener import Listener, ListenerError


def _other_local_addresses() -> list[str]:
    found = {"127.0.0.2"}
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
            found.add(probe.getsockname()[0])
    except OSError:
        pass
    return sorted(a for a in found if a != "127.0.0.1" and not a.startswith("0."))


def test_it_listens_on_127_0_0_1_only(listener: Listener) -> None:
    for address in _other_local_addresses():
        with pytest.raises(OSError):
            socket.create_connection((address, listener.port), timeout=2).close()
    socket.create_connection(("127.0.0.1", listener.port), timeout=2).close()


def test_a_taken_port_is_a_plain_listener_error(db: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        lst = Listener(db, SECRET, port=port)
        with pytest.raises(ListenerError) as info:
            lst.start()
    assert str(info.value).startswith(f"Port {port} is already in use by another program.")
    assert not lst.running
    lst.stop()  # harmless when it never started


def test_a_second_listener_on_the_same_port_fails(listener: Listener, tmp_path: Path) -> None:
    with pytest.raises(ListenerError, match="already in use"):
        Listener(tmp_path / "other.sqlite3", SECRET, port=listener.port).start()
