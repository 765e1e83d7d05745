#!/usr/bin/env python3
"""A stand-in ngrok agent for tests: the log lines, local API and forwarding pyngrok relies on.

`ngrok start --none --log stdout --config PATH [--authtoken TOKEN]` prints the agent's logfmt lines
(`starting web service` with the API address, `client session established`, `tunnel session
started`), serves the agent API (/api/endpoints for pyngrok 9, /api/tunnels for older ones) and,
per endpoint, a real HTTP forwarder on 127.0.0.1 whose address is the "public URL"; it answers 502
with ERR_NGROK_8012 when the upstream is down, like ngrok's edge.

Behaviour, as the real agent would show it:
- the authtoken comes from where ngrok v3 reads it: --authtoken, else the NGROK_AUTHTOKEN
  environment variable, else the config file (`agent: authtoken:`, or a v2 file's top-level
  `authtoken:`); none → ERR_NGROK_4018.
- authtoken "bad…" → ERR_NGROK_105, "revoked…" → ERR_NGROK_107, "limit…" → ERR_NGROK_108;
  these print the agent's error lines (echoing the authtoken, as ngrok does) on stderr and in
  its log, and exit 1.
- FAKE_NGROK_VERSION below 3 → ERR_NGROK_121 (too old) and exit 1.
- a domain starting with "notmine" → the endpoint is refused with ERR_NGROK_319.
- FAKE_NGROK_DOMAIN_PORT → a domain's forwarder listens on that port (a stable public URL).
- FAKE_NGROK_DIE_AFTER=seconds → the agent exits that long after it is online.
- FAKE_NGROK_MODE_FILE → a file read at each start whose words change behaviour:
  "offline" (session errors forever), "crash" (exit 3 at once, no output), "silent" (web service
  but never a session), "blip" (drop and re-establish the session after 0.3 s),
  "noapi" (no /api/endpoints, like agents older than pyngrok 9 expects), "die_after=SECONDS".
- FAKE_NGROK_ARGV_LOG → each run appends its argv as one JSON line there.
- FAKE_NGROK_LIFELINE=pid → live until that process ends, not until its parent does (the real
  agent outlives the voipdesk that started it; the test run's pid keeps hygiene).
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import threading
import time
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

VERSION = os.environ.get("FAKE_NGROK_VERSION", "3.99.0")
_print_lock = threading.Lock()


def logfmt(lvl: str, msg: str, **fields: str) -> None:
    """One agent log line on stdout, the way `--log stdout --log-format term` writes it."""
    parts = [f"t={datetime.now().astimezone().strftime('%Y-%m-%dT%H:%M:%S%z')}", f"lvl={lvl}"]
    for key, value in {"msg": msg, **fields}.items():
        text = str(value)
        if not text or any(c in text for c in ' "=\\\n\r'):
            text = text.replace("\\", "\\\\").replace('"', '\\"')
            text = '"' + text.replace("\r", "\\r").replace("\n", "\\n") + '"'
        parts.append(f"{key}={text}")
    with _print_lock:
        print(" ".join(parts), flush=True)


def fail(err: str) -> None:
    """A fatal session error: ngrok prints it on stderr, logs it and exits. (The real agent
    writes both at once; stderr comes first here so a test sees it whatever the timing, since
    voipdesk ends the agent on its first fatal log line.)"""
    for line in err.replace("\r", "").split("\n"):
        print(f"ERROR:  {line}", file=sys.stderr, flush=True)
    logfmt("eror", "failed to reconnect session", obj="tunnels.session", err=err)
    logfmt("eror", "session closing", obj="tunnels.session", err=err)
    logfmt("crit", "command failed", err=err)
    sys.exit(1)


def auth_error(token: str) -> str | None:
    if token.startswith("bad"):
        return (
            "authentication failed: The authtoken you specified does not look like a proper "
            f"ngrok tunnel authtoken.\nYour authtoken: {token}\nInstructions to install your "
            "authtoken are on your ngrok dashboard:\n"
            "https://dashboard.ngrok.com/get-started/your-authtoken\r\n\r\nERR_NGROK_105\r\n"
        )
    if token.startswith("revoked"):
        return (
            "authentication failed: The authtoken you specified is properly formed, but it is "
            f"invalid.\nYour authtoken: {token}\nThis usually happens when:\n    - You reset "
            "your authtoken\r\n\r\nERR_NGROK_107\r\n"
        )
    if token.startswith("limit"):
        return (
            "authentication failed: Your account is limited to 1 simultaneous ngrok agent "
            "sessions.\nYou can run multiple simultaneous tunnels from a single agent session "
            "by defining the tunnels in your agent configuration file.\r\n\r\nERR_NGROK_108\r\n"
        )
    if int(VERSION.split(".")[0]) < 3:
        return (
            f'authentication failed: Your ngrok-agent version "{VERSION}" is too old. The '
            'minimum supported agent version for your account is "3.2.0". Please update to a '
            "newer version with `ngrok update`.\r\n\r\nERR_NGROK_121\r\n"
        )
    return None


class Forwarder(ThreadingHTTPServer):
    """The endpoint's public side: every request goes on to the upstream URL."""

    daemon_threads = True

    def __init__(self, upstream: str, port: int = 0) -> None:
        parts = urlsplit(upstream if "://" in upstream else f"http://{upstream}")
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        super().__init__(("127.0.0.1", port), ForwardHandler)


class ForwardHandler(BaseHTTPRequestHandler):
    server: Forwarder
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        server = self.server
        upstream = f"{server.upstream_host}:{server.upstream_port}"
        try:
            conn = http.client.HTTPConnection(
                server.upstream_host, server.upstream_port, timeout=10
            )
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            conn.request(self.command, self.path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            conn.close()
        except OSError as exc:
            logfmt(
                "warn",
                "failed to open private leg",
                obj="tunnels",
                err=f"dial tcp {upstream}: {exc}",
            )
            page = (
                "<!DOCTYPE html><html><body><p>The endpoint is online but the agent reported "
                "an error: failed to establish a connection to the upstream web service at "
                f"{upstream}.</p><p>ERR_NGROK_8012</p></body></html>"
            ).encode()
            self.send_response(502)
            self.send_header("Content-Type", "text/html")
            self.send_header("Ngrok-Error-Code", "ERR_NGROK_8012")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _forward


class Agent:
    def __init__(self, domain_port: int, mode: dict[str, str]) -> None:
        self.domain_port = domain_port
        self.mode = mode
        self.endpoints: dict[str, tuple[dict, Forwarder]] = {}
        self.lock = threading.Lock()

    def create(self, kind: str, body: dict) -> tuple[int, dict]:
        name = body.get("name") or str(uuid.uuid4())
        if kind == "endpoints":
            upstream = (body.get("upstream") or {}).get("url", "http://localhost:80")
            domain = urlsplit(body["url"]).hostname if body.get("url") else None
        else:
            upstream = str(body.get("addr", "80"))
            domain = body.get("domain") or body.get("hostname")
            if upstream.isdigit():
                upstream = f"localhost:{upstream}"
        if domain and domain.startswith("notmine"):
            err = (
                "failed to start tunnel: You must reserve a custom hostname for your account "
                f'before it can be bound. Failed to bind the domain "{domain}" for the account '
                '"Fake".\r\n\r\nERR_NGROK_319\r\n'
            )
            logfmt("eror", "start tunnel listen", obj="tunnels", name=name, err=err)
            return 502, {"error_code": 103, "status_code": 502, "msg": "failed to start tunnel",
                         "details": {"err": err}}  # fmt: skip
        with self.lock:
            if name in self.endpoints:
                err = f"a tunnel named {name} already exists"
                return 400, {"error_code": 102, "status_code": 400, "msg": "duplicate name",
                             "details": {"err": err}}  # fmt: skip
            forwarder = Forwarder(upstream, self.domain_port if domain else 0)
            threading.Thread(target=forwarder.serve_forever, daemon=True).start()
            url = f"http://127.0.0.1:{forwarder.server_address[1]}"
            if kind == "endpoints":
                data = {"id": f"ep_{uuid.uuid4().hex}", "name": name, "url": url,
                        "upstream": {"url": upstream, "protocol": "http1"},
                        "uri": f"/api/endpoints/{name}"}  # fmt: skip
            else:
                data = {"name": name, "uri": f"/api/tunnels/{name}", "public_url": url,
                        "proto": "http", "config": {"addr": upstream, "inspect": True},
                        "metrics": {}}  # fmt: skip
            self.endpoints[name] = (data, forwarder)
        logfmt("info", "started tunnel", obj="tunnels", name=name, addr=upstream, url=url)
        return 201, data


def api_handler(agent: Agent) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _reply(self, status: int, data: dict | None) -> None:
            body = json.dumps(data).encode() if data is not None else b""
            self.send_response(status)
            if data is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _route(self) -> tuple[str, str | None] | None:
            parts = self.path.split("?")[0].strip("/").split("/")
            kinds = ("tunnels",) if "noapi" in agent.mode else ("endpoints", "tunnels")
            if len(parts) in (2, 3) and parts[0] == "api" and parts[1] in kinds:
                return parts[1], parts[2] if len(parts) == 3 else None
            return None

        def do_GET(self) -> None:
            route = self._route()
            if route is None:
                return self._reply(404, {"status_code": 404, "msg": "not found"})
            kind, name = route
            with agent.lock:
                items = [data for data, _ in agent.endpoints.values()]
                if name is None:
                    return self._reply(200, {kind: items, "uri": f"/api/{kind}"})
                found = agent.endpoints.get(name)
            if found is None:
                return self._reply(404, {"status_code": 404, "msg": "tunnel not found"})
            return self._reply(200, found[0])

        def do_POST(self) -> None:
            route = self._route()
            if route is None or route[1] is not None:
                return self._reply(405, {"status_code": 405, "msg": "method not allowed"})
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            status, data = agent.create(route[0], body)
            return self._reply(status, data)

        def do_DELETE(self) -> None:
            route = self._route()
            with agent.lock:
                found = agent.endpoints.pop(route[1], None) if route and route[1] else None
            if found is None:
                return self._reply(404, {"status_code": 404, "msg": "tunnel not found"})
            found[1].shutdown()
            found[1].server_close()
            return self._reply(204, None)

    return Handler


def read_mode() -> dict[str, str]:
    path = os.environ.get("FAKE_NGROK_MODE_FILE")
    words = ""
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            words = f.read()
    mode = dict(word.partition("=")[::2] for word in words.split())
    if os.environ.get("FAKE_NGROK_DIE_AFTER"):
        mode.setdefault("die_after", os.environ["FAKE_NGROK_DIE_AFTER"])
    return mode


def option(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def config_authtoken(path: str | None) -> str:
    """The authtoken in a config file: v3's `agent: authtoken:` or v2's top-level one."""
    if not path or not os.path.exists(path):
        return ""
    import yaml

    with open(path, encoding="utf-8") as f:
        config = yaml.safe_load(f) or {}
    agent = config.get("agent") if isinstance(config.get("agent"), dict) else {}
    return str(agent.get("authtoken") or config.get("authtoken") or "")


def exit_with_parent() -> None:
    """Test hygiene (the real agent does not do this): a killed test run leaves no agent."""
    lifeline = int(os.environ.get("FAKE_NGROK_LIFELINE") or 0)
    parent = os.getppid()
    while True:
        time.sleep(0.5)
        if lifeline:
            try:
                os.kill(lifeline, 0)
            except ProcessLookupError:
                break
        elif os.getppid() != parent:
            break
    os._exit(0)


def start(args: list[str]) -> None:
    threading.Thread(target=exit_with_parent, daemon=True).start()
    mode = read_mode()
    if "crash" in mode:
        sys.exit(3)
    config = option(args, "--config")
    token = (
        option(args, "--authtoken") or os.environ.get("NGROK_AUTHTOKEN") or config_authtoken(config)
    )
    logfmt("info", "open config file", path=config or "default", err="nil")
    agent = Agent(int(os.environ.get("FAKE_NGROK_DOMAIN_PORT") or 0), mode)
    api = ThreadingHTTPServer(("127.0.0.1", 0), api_handler(agent))
    api.daemon_threads = True
    threading.Thread(target=api.serve_forever, daemon=True).start()
    logfmt("info", "starting web service", obj="web", addr=f"127.0.0.1:{api.server_address[1]}")
    if not token:
        fail(
            "authentication failed: Usage of ngrok requires a verified account and authtoken."
            "\r\n\r\nERR_NGROK_4018\r\n"
        )
    err = auth_error(token)
    if err:
        fail(err)
    if "offline" in mode:
        dial = (
            'failed to dial ngrok server with address "connect.ngrok-agent.com:443": '
            "dial tcp: lookup connect.ngrok-agent.com: no such host"
        )
        while True:
            logfmt("eror", "failed to reconnect session", obj="tunnels.session", err=dial)
            time.sleep(0.2)
    if "silent" in mode:
        while True:
            time.sleep(60)
    logfmt("info", "client session established", obj="tunnels.session")
    logfmt("info", "tunnel session started", obj="tunnels.session")
    if "blip" in mode:
        time.sleep(0.3)
        logfmt("eror", "failed to reconnect session", obj="tunnels.session",
               err="dial tcp: lookup connect.ngrok-agent.com: i/o timeout")  # fmt: skip
        time.sleep(0.3)
        logfmt("info", "client session established", obj="tunnels.session")
    if mode.get("die_after"):
        time.sleep(float(mode["die_after"]))
        os._exit(1)
    while True:
        time.sleep(60)


def main(args: list[str]) -> None:
    if log_path := os.environ.get("FAKE_NGROK_ARGV_LOG"):
        with open(log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(args) + "\n")
    if not args or args[0] in ("version", "--version", "-v"):
        print(f"ngrok version {VERSION}")
    elif args[0] == "start":
        start(args[1:])
    elif args[:2] == ["config", "add-authtoken"] and len(args) > 2:
        config = option(args, "--config") or "ngrok.yml"
        with open(config, "a", encoding="utf-8") as f:
            f.write(f"authtoken: {args[2]}\n")
        print(f"Authtoken saved to configuration file: {config}")
    else:
        print(f"ERROR:  unknown command {args[:1]}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
