"""Latency of a legitimate webhook while idle and trickling connections hold the listener.

Run: .venv/bin/python -m tests.benchmarks.idle_load [--idle 1100] [--trickle 100] [--soft 1024]
The listener runs in a child process whose soft open-file limit is --soft (a desktop's default
is often 1,024; --hard lowers the hard limit too). This process opens --idle connections that
send nothing and --trickle that send header bytes slowly, then sends --count webhooks one after
another, each on a new connection, and prints p50/max latency and how many were answered 200.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from voipdesk.sandbox.webhook import body as webhook_body

SECRET = "idle-load-secret"


def post(port: int, mdr_id: str, timeout: float) -> int:
    body = json.dumps(
        webhook_body("+447445459147", "+447476553275", "hi", mdr_id=mdr_id, ts=1716204585)
    ).encode()
    head = (
        f"POST /webhook/{SECRET} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head + body)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle", type=int, default=1100)
    parser.add_argument("--trickle", type=int, default=100)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--soft", type=int, default=1024)
    parser.add_argument("--hard", type=int)
    parser.add_argument("--timeout", type=float, default=5.0, help="per webhook (s)")
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # this process holds the clients

    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "tests.receiver.listener_child", f"{tmp}/db", SECRET]
        cmd += ["--soft", str(args.soft)] + (["--hard", str(args.hard)] if args.hard else [])
        errors = open(f"{tmp}/stderr", "w+b")  # noqa: SIM115 (a file: a pipe could fill and block)
        child = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True
        )
        try:
            info = json.loads(child.stdout.readline())
            port = info["port"]
            print(
                f"listener open-file limit once running: soft {info['soft']}, hard {info['hard']}"
            )
            held = [socket.create_connection(("127.0.0.1", port)) for _ in range(args.idle)]
            trickling = [socket.create_connection(("127.0.0.1", port)) for _ in range(args.trickle)]
            stop = threading.Event()

            def trickle() -> None:
                request = f"POST /webhook/{SECRET} HTTP/1.1\r\nHost: x\r\n".encode()
                i = 0
                while not stop.wait(0.2):
                    for sock in trickling:
                        with contextlib.suppress(OSError):
                            sock.send(request[i % len(request) : i % len(request) + 1])
                    i += 1

            threading.Thread(target=trickle, daemon=True).start()
            time.sleep(0.5)
            latencies, statuses = [], []
            for n in range(args.count):
                start = time.perf_counter()
                try:
                    statuses.append(post(port, f"load-{n}", args.timeout))
                except OSError as exc:
                    statuses.append(type(exc).__name__)
                latencies.append(time.perf_counter() - start)
            stop.set()
            ok = statuses.count(200)
            limit = f"soft limit {args.soft}" + (f", hard {args.hard}" if args.hard else "")
            print(
                f"{args.idle} idle + {args.trickle} trickling connections, listener started with "
                f"{limit}: {ok}/{args.count} webhooks answered 200; latency p50 "
                f"{statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
                f" (each waits at most {args.timeout:.0f} s)"
            )
            if ok < args.count:
                print("not 200:", [s for s in statuses if s != 200])
            for sock in held + trickling:
                sock.close()
        finally:
            child.stdin.close()
            child.wait(30)
            errors.seek(0)
            lines = errors.read().splitlines()
            errors.close()
            print(f"the listener wrote {len(lines)} lines on stderr")
            if lines:
                print("first:", lines[0].decode(errors="replace"))


if __name__ == "__main__":
    main()
