"""What quitting would cost the person, in their words: Quit asks only when there is something
(receiving that would stop, a message still on its way out); otherwise it quits at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from voipdesk.core.models import Message, Status
from voipdesk.receiver.status import TunnelState

if TYPE_CHECKING:
    from voipdesk.services import Services

RECEIVING = (
    "While voipdesk is closed it cannot receive: messages sent to your numbers won't appear "
    "here until you start it again (they stay on VoIP Number's Messaging page)."
)


def receiving_would_stop(services: Services) -> bool:
    """Messages can reach this running app now (so quitting stops them arriving)."""
    status = services.receiving
    return (
        status.listener_running
        and not status.database_damaged
        and status.tunnel_state in (TunnelState.ONLINE, TunnelState.DISABLED, TunnelState.STARTING)
    )


def what_quitting_stops(
    services: Services | None, outbox: list[Message], *, demo: bool
) -> list[str]:
    """A sentence for each thing quitting now would stop or lose (none: just quit), given the
    outbox as read (on the reads worker). The demo's receiving is the sandbox's: nothing is
    missed by quitting it."""
    if services is None:
        return []
    reasons = []
    sending = sum(1 for m in outbox if m.status is Status.SENDING)
    if sending:
        what = "A message is" if sending == 1 else f"{sending} messages are"
        reasons.append(
            f"{what} still being sent: quitting now may leave it unclear whether it went out."
        )
    waiting = sum(1 for m in outbox if m.status is Status.PENDING)
    if waiting:
        what = "A message waiting" if waiting == 1 else f"{waiting} messages waiting"
        reasons.append(f"{what} to be sent will not go out until you start voipdesk again.")
    if not demo and receiving_would_stop(services):
        reasons.append(RECEIVING)
    return reasons
