"""Where receiving stands: the tunnel's lifecycle and the listener, as one value to show."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TunnelState(StrEnum):
    """The tunnel's lifecycle as the UI shows it."""

    OFF = "off"
    STARTING = "starting"
    ONLINE = "online"
    ERROR = "error"
    DISABLED = "disabled"  # turned off in the settings: only this computer reaches the listener


@dataclass(frozen=True)
class ReceivingStatus:
    """Where receiving stands: the local listener, the tunnel, and the URL the provider needs."""

    listener_running: bool
    listener_port: int | None
    listener_error: str | None
    tunnel_state: TunnelState
    tunnel_message: str  # plain sentence
    public_url: str | None  # the full public webhook URL (or the local one when tunnel disabled)
    url_changed: bool = False
    authtoken_missing: bool = False  # no ngrok authtoken: the panel offers "Set up receiving"
    database_damaged: bool = False  # receiving stopped: the listener answers every webhook 503

    def __post_init__(self) -> None:
        object.__setattr__(self, "tunnel_state", TunnelState(self.tunnel_state))

    def but(self, **changes: object) -> ReceivingStatus:
        """This status with some fields changed."""
        return ReceivingStatus(**{**self.__dict__, **changes})

    @property
    def needs_setup(self) -> bool:
        """Receiving cannot work until the user adds an ngrok authtoken."""
        return self.authtoken_missing or (
            self.tunnel_state in (TunnelState.OFF, TunnelState.ERROR)
            and "authtoken" in self.tunnel_message.lower()
        )

    @property
    def ok(self) -> bool:
        """Messages can arrive: the listener runs, the tunnel is up (or deliberately off), and
        the provider has the current URL."""
        return (
            self.listener_running
            and not self.database_damaged
            and self.tunnel_state in (TunnelState.ONLINE, TunnelState.DISABLED)
            and not self.url_changed
        )

    @property
    def summary(self) -> str:
        """One short line for the status bar."""
        if self.database_damaged:
            return "Not receiving: the message database is damaged"
        if not self.listener_running:
            return "Not receiving: listener stopped"
        if self.tunnel_state is TunnelState.ONLINE:
            return "Receiving: webhook URL changed" if self.url_changed else "Receiving ✓"
        if self.tunnel_state is TunnelState.DISABLED:
            return "Receiving on this computer only"
        if self.tunnel_state is TunnelState.STARTING:
            return "Receiving: tunnel starting…"
        if self.needs_setup:
            return "Not receiving: set up receiving"
        if self.tunnel_state is TunnelState.ERROR:
            return "Not receiving: tunnel problem"
        return "Not receiving: tunnel off"


NOT_STARTED = ReceivingStatus(False, None, None, TunnelState.OFF, "Not started yet.", None)
