"""Fixtures for the provider tests: the sandbox over real HTTP, and a server that says anything."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from voipdesk.provider.client import VoipNumberClient
from voipdesk.provider.wire import SendResult
from voipdesk.sandbox import DEMO_ACCOUNT, Account, Sandbox, SandboxThread

TOKEN = "tok-9f8e7d6c5b4a-S3CRET"  # distinctive, so a leak into a log is easy to spot
ACCOUNT = Account("acct-1", TOKEN, {"+447700900001", "+447700900002"})
OTHER = Account("acct-2", "other-token", {"+447700900009"})
OWN = "+447700900001"
PEER = "+447700900100"


@pytest.fixture
def sandbox() -> Iterator[SandboxThread]:
    with SandboxThread(Sandbox((ACCOUNT, OTHER, DEMO_ACCOUNT))) as running:
        yield running


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1/sms/send"


def send(
    url: str,
    body: str = "hello",
    *,
    sender: str = OWN,
    to: str = PEER,
    account_id: str = ACCOUNT.account_id,
    api_token: str = TOKEN,
    timeout: float = 5.0,
) -> SendResult:
    """One send through a real httpx.AsyncClient, on a fresh loop, everything closed after."""

    async def go() -> SendResult:
        async with httpx.AsyncClient(timeout=httpx.Timeout(timeout)) as http:
            client = VoipNumberClient(http, url=url, account_id=account_id, api_token=api_token)
            return await client.send(sender, to, body)

    return asyncio.run(go())


class ScriptedProvider:
    """A plain HTTP server answering with queued (status, body) pairs: shapes and codes the
    sandbox never produces (an unknown error code, other envelope depths)."""

    def __init__(self) -> None:
        self.answers: deque[tuple[int, bytes, dict[str, str]]] = deque()
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                outer.received.append(json.loads(self.rfile.read(length)))
                status, body, headers = outer.answers.popleft()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/sms/send"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def answer(
        self, doc: object, status: int = 200, *, headers: dict[str, str] | None = None
    ) -> None:
        body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
        self.answers.append((status, body, headers or {}))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def scripted() -> Iterator[ScriptedProvider]:
    provider = ScriptedProvider()
    provider.thread.start()
    yield provider
    provider.close()
