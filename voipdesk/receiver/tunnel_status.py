"""What the tunnel announces: a TunnelState (receiver.status) with a sentence for the user."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voipdesk.receiver.ngrok_agent import sentence
from voipdesk.receiver.status import TunnelState


@dataclass(frozen=True)
class TunnelStatus:
    """Where the tunnel stands, with one sentence for the user and a machine-readable problem."""

    state: TunnelState
    public_url: str | None  # https://xxxx.ngrok-free.app (no path)
    message: str
    problem: str | None = None


OFF = TunnelStatus(TunnelState.OFF, None, "The tunnel is off.")


def error_status(problem: str, *, ngrok_path: Path, domain: str | None) -> TunnelStatus:
    """An ERROR status saying what the problem (ngrok_agent.classify's word) means."""
    text = sentence(problem, ngrok_path=ngrok_path, domain=domain)
    return TunnelStatus(TunnelState.ERROR, None, text, problem)


def online_status(public_url: str | None) -> TunnelStatus:
    return TunnelStatus(
        TunnelState.ONLINE,
        public_url,
        "The tunnel is online: paste the webhook address on the provider's Numbers page.",
    )
