"""Where receiving stands, in one line and one yes/no."""

import dataclasses

import pytest

from voipdesk.receiver.status import ReceivingStatus, TunnelState

URL = "https://calm-otter.ngrok-free.app/webhook/Zq3xv1ZpQm9YkQ2l8d0sT0wH1Xn4c7Vb"
ONLINE = ReceivingStatus(
    listener_running=True,
    listener_port=53121,
    listener_error=None,
    tunnel_state="online",
    tunnel_message="Online through ngrok.",
    public_url=URL,
)


@pytest.mark.parametrize(
    ("changes", "summary", "ok"),
    [
        ({}, "Receiving ✓", True),
        ({"url_changed": True}, "Receiving: webhook URL changed", False),
        ({"tunnel_state": "starting"}, "Receiving: tunnel starting…", False),
        ({"tunnel_state": "disabled"}, "Receiving on this computer only", True),
        ({"tunnel_state": "error"}, "Not receiving: tunnel problem", False),
        (
            {"tunnel_state": "off", "authtoken_missing": True},
            "Not receiving: set up receiving",
            False,
        ),
        ({"listener_running": False}, "Not receiving: listener stopped", False),
    ],
    ids=["online", "url-changed", "starting", "disabled", "error", "no-authtoken", "no-listener"],
)
def test_summary_and_ok(changes, summary, ok):
    status = dataclasses.replace(ONLINE, **changes)
    assert status.summary == summary
    assert status.ok is ok


def test_status_survives_the_apps_dict_round_trip():
    # The services rebuild the status with ReceivingStatus(**{**old.__dict__, **changes}).
    rebuilt = ReceivingStatus(**{**ONLINE.__dict__, "url_changed": True})
    assert rebuilt.url_changed and rebuilt.public_url == URL
    assert ONLINE.but(url_changed=True) == rebuilt


def test_the_tunnel_state_is_a_tunnel_state_even_when_given_as_text():
    assert ONLINE.tunnel_state is TunnelState.ONLINE
    assert ONLINE.but(tunnel_state="disabled").tunnel_state is TunnelState.DISABLED
