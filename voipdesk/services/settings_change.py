"""Taking up a settings change while the services run: the secrets are read again, then
sending resumes and the listener or the tunnel restarts as the changed fields require."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from voipdesk.services.services import Services

# Fields whose change restarts the listener (its address or secret changed).
LISTENER = frozenset({"webhook_port", "webhook_secret"})
# Fields whose change needs the tunnel's authtoken read again before the listener restarts.
TUNNEL_SECRET = frozenset({"ngrok_authtoken", "tunnel_mode"})
TUNNEL = frozenset({"ngrok_authtoken", "ngrok_domain", "tunnel_mode"})
SENDING = frozenset({"account_id", "api_token", "numbers", "api_url"})
AUTOSTART = frozenset({"start_at_login", "account_id", "numbers"})


def apply_settings_change(services: Services, fields: set[str]) -> asyncio.Task:
    """Apply what the settings dialog changed: the secrets are read again (off the GUI thread)
    first, then sending resumes and the listener or tunnel restarts."""
    services._apply_credentials()  # the account and endpoint now; the token once read
    services.load_secrets()
    tunnel_secret = bool(fields & TUNNEL_SECRET)
    listener = bool(fields & LISTENER)
    if listener and not tunnel_secret:
        # The tunnel's authtoken did not change: the new webhook address works at once.
        services.start_listener()
    if fields & AUTOSTART:
        services.spawn(services._sync_autostart())
    if "your_name" in fields and services.shared_inbox is not None:
        services.your_name.apply()  # on the next message sent

    async def apply() -> None:
        await services.wait_for_secrets()
        if services._stopping:
            return
        if fields & SENDING:
            services.outbox.resume()
            services._update_sending()
        if listener and tunnel_secret:
            services.start_listener()
        elif not listener and fields & TUNNEL:
            services.restart_tunnel()

    return services.spawn(apply())
