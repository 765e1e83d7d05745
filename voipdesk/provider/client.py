"""The async VoIP Number client: one send call over an injected httpx.AsyncClient."""

from __future__ import annotations

import logging

import httpx

from voipdesk.provider.errors import TransientError
from voipdesk.provider.wire import DEFAULT_SEND_URL, SendResult, parse_send_answer, send_payload

log = logging.getLogger("voipdesk.provider")

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=10.0)


class AmbiguousSendError(TransientError):
    """The request may have reached the provider but no answer came back (read timeout, dropped
    connection). Resending could send the message twice, so it is never retried silently."""


class VoipNumberClient:
    """Sends SMS through the VoIP Number HTTP API. Credentials may be changed between calls."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        url: str = DEFAULT_SEND_URL,
        account_id: str = "",
        api_token: str = "",
    ) -> None:
        self.http = http
        self.url = url
        self.account_id = account_id
        self.api_token = api_token

    def __repr__(self) -> str:  # never show the token
        return f"VoipNumberClient(url={self.url!r}, account_id={self.account_id!r})"

    async def send(self, sender: str, to: str, body: str) -> SendResult:
        """Send one SMS. Raises ProviderError, TransientError or AmbiguousSendError."""
        payload = send_payload(self.account_id, self.api_token, sender, to, body)
        log.debug("send %s -> %s (%d chars) to %s", sender, to, len(body), self.url)
        try:
            response = await self.http.post(self.url, json=payload)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise TransientError(f"could not connect to VoIP Number ({_host(self.url)})") from exc
        except httpx.TimeoutException as exc:
            raise AmbiguousSendError("VoIP Number did not answer in time") from exc
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise AmbiguousSendError(
                "the connection to VoIP Number broke before it answered"
            ) from exc
        except httpx.HTTPError as exc:
            raise TransientError(f"could not reach VoIP Number ({type(exc).__name__})") from exc
        result = parse_send_answer(
            response.status_code,
            response.content,
            sender=sender,
            retry_after=response.headers.get("Retry-After"),
        )
        if result.provider_id is None:
            log.warning(
                "sent %s -> %s: HTTP %d accepted it without a message id (%d bytes of answer)",
                sender,
                to,
                response.status_code,
                len(response.content),
            )
        else:
            log.info("sent %s -> %s: %s %s", sender, to, result.status, result.provider_id)
        return result


def _host(url: str) -> str:
    try:
        return httpx.URL(url).host or url
    except Exception:
        return url
