"""The name a desk on the shared inbox writes on what it sends ("Sent by Ana"): the user's as
set in Settings, else the computer's name for the user. That one is a password-database lookup
(a network service on some computers), so it is made once, on a worker; a name changed in
Settings is on the next message sent, without a restart."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from voipdesk.outbox import Outbox
from voipdesk.settings import Settings
from voipdesk.settings.model import computer_user_name


class YourName:
    """Keeps the outbox's sent_by as the settings say."""

    def __init__(self, settings: Settings, outbox: Outbox) -> None:
        self._settings = settings
        self._outbox = outbox
        self.computer_name = ""  # the computer's name for the user, once looked up
        self.changed: list[Callable[[], None]] = []  # called when the names may have changed

    async def look_up(self) -> None:
        """The computer's name for the user, looked up on a worker; then the name applied."""
        self.computer_name = await asyncio.to_thread(computer_user_name)
        self.apply()

    def apply(self) -> None:
        """The name as the settings now say, on every message sent from now on."""
        self._outbox.sent_by = self._settings.your_name.strip() or self.computer_name
        for call in self.changed:
            call()

    def is_me(self, name: str) -> bool:
        """Whether a message signed `name` is this desk's user's (the list's "You: …"): the
        name it signs with now, the one in Settings, or the computer's name for the user."""
        names = (self._outbox.sent_by, self._settings.your_name, self.computer_name)
        return " ".join(name.split()) in {" ".join(n.split()) for n in names if n.strip()}
