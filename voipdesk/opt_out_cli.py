"""`voipdesk send` to someone who texted STOP: refused unless `--anyway` (as the app asks)."""

from __future__ import annotations

import sys
from pathlib import Path

EXIT_OPTED_OUT = 6  # the recipient texted STOP to this number: nothing was sent or scheduled


def refuse_opted_out(location: Path | str, sender: str, to: str, *, later: bool) -> int | None:
    """EXIT_OPTED_OUT after saying why on stderr when `to` texted STOP to `sender` (and has not
    texted START since); None when sending to them is fine."""
    from voipdesk.store import open_store

    store = open_store(location)
    try:
        conversation = store.conversation_for(sender, to)  # (sending would create it too)
    finally:
        store.close()
    if not conversation.opted_out:
        return None
    nothing = "Nothing was scheduled." if later else "Nothing was sent."
    print(
        f"voipdesk: {to} texted STOP: they asked not to get texts from {sender}. {nothing} "
        "To send to them anyway, run the command again with --anyway.",
        file=sys.stderr,
    )
    return EXIT_OPTED_OUT
