"""Make a realistic voipdesk data dir for the benchmarks: a lifetime of messages.

Run: /work/venv/bin/python -m tests.benchmarks.generate [--out DIR] [--messages N] ...

The database is created by the app's own migrations (voipdesk.store.schema, FTS5 included),
then filled straight through SQLite in one big transaction, with the secondary indexes and the
FTS index built once at the end. A finished dir carries bench.json with its parameters; asking
for the same parameters again reuses it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sqlite3
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from voipdesk.store import SCHEMA_VERSION, database_path
from voipdesk.store.schema import migrate

GENERATOR_VERSION = 2
DEFAULT_OUT = Path(__file__).resolve().parent / "data" / "1m"
MANIFEST = "bench.json"
OWN = ("+447700900001", "+447700900002")
ACCOUNT = "bench-account"
WEBHOOK_SECRET = "bench-webhook-secret-0123456789"


def _words(text: str) -> list[str]:
    return text.split()


_COMMON = _words(
    "ok thanks yes no see you soon later today tomorrow tonight now just the a to and i it is "
    "on for at in my me we be will can call home work back running late lunch dinner coffee "
    "meet train bus car park shop milk bread kids school pickup please sure great love lol "
    "haha sorry what when where how why good morning night weekend friday saturday sunday "
    "monday parcel delivered invoice paid doctor appointment confirm reply stop code your "
    "order ready collection table booked birthday party cake present mum dad gran football "
    "match score rain sunny cold warm office meeting minutes sent email check link photo"
)
_RARE = _words(
    "rhubarb quokka zeppelin marmalade kilimanjaro saxophone origami tangerine lighthouse "
    "avalanche bassoon pistachio gondola hedgehog trombone walrus yodel sequoia"
)
_ACCENTED = _words(
    "café crème naïve São Paulo Zürich jalapeño piñata façade déjà vu Ålesund Kraków"
)
_EMOJI = ("🙂", "👍", "😂", "❤️", "🎉", "🙏", "😅", "🚗", "☕", "🍕")
_FIRST = "Alex Sam Jordan Chris Pat Morgan Jamie Robin Taylor Casey José Zoë Anaïs Søren Łukasz"
_LAST = "Smith Jones Patel Khan Brown Wilson Evans Murphy Álvarez Müller Nguyen O'Brien Dubois"
_ERROR = ("NUMBER_NOT_FOUND", "The number doesn't exist on VoIP Number. Check it and try again.")


@dataclass(frozen=True)
class Params:
    """What a data dir holds; a dir is reused only when these match."""

    messages: int = 1_000_000
    conversations: int = 10_000
    big_threads: int = 3
    big_size: int = 100_000
    contacts: float = 0.4  # share of peers with a name
    seed: int = 1
    generator: int = GENERATOR_VERSION
    schema: int = SCHEMA_VERSION


def peer_number(i: int) -> str:
    """The peer of conversation i (1-based): UK mobiles, every tenth a US number."""
    return f"+1646{2_000_000 + i:07d}" if i % 10 == 0 else f"+447700{100_000 + i:06d}"


class _Text:
    """Message bodies: mostly short, some long, some with emoji or accents, a few links."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        words = _COMMON + _ACCENTED
        # Zipf-like: a few words are in many messages, as in real chat.
        self.words = words
        self.cum = list(_cumulative([1 / (rank + 1) ** 0.75 for rank in range(len(words))]))

    def body(self) -> str:
        rnd = self.rnd
        roll = rnd.random()
        if roll < 0.55:
            k = rnd.randint(1, 6)
        elif roll < 0.9:
            k = rnd.randint(7, 30)
        elif roll < 0.98:
            k = rnd.randint(31, 120)  # several SMS segments
        else:
            k = rnd.randint(121, 300)
        words = rnd.choices(self.words, cum_weights=self.cum, k=k)
        if rnd.random() < 0.01:
            words.insert(rnd.randrange(len(words) + 1), rnd.choice(_RARE))
        if rnd.random() < 0.12:
            words.append(rnd.choice(_EMOJI))
        if rnd.random() < 0.03:
            words.append(f"https://example.com/p/{rnd.randrange(10**6)}")
        text = " ".join(words)
        if k > 40 and rnd.random() < 0.3:
            cut = len(text) // 2
            text = text[:cut] + "\n\n" + text[cut:]
        return text[0].upper() + text[1:]


def _cumulative(weights: list[float]):
    total = 0.0
    for w in weights:
        total += w
        yield total


def _conversation_of_each_message(p: Params, rnd: random.Random) -> list[int]:
    """Which conversation each message (in time order) belongs to."""
    big = min(p.big_threads, p.conversations)
    big_size = min(p.big_size, p.messages // max(big, 1)) if big else 0
    rest = p.messages - big * big_size
    small = list(range(big + 1, p.conversations + 1))
    cids: list[int] = []
    for cid in range(1, big + 1):
        cids += [cid] * big_size
    if small:
        cids += small[:rest]  # every conversation has at least one message
        extra = rest - min(rest, len(small))
        cum = list(_cumulative([1 / (r + 1) ** 0.7 for r in range(len(small))]))
        cids += rnd.choices(small, cum_weights=cum, k=extra)
    else:
        cids += [1] * rest
    rnd.shuffle(cids)
    # The newest message belongs to the first big thread: the app opens it at start-up.
    for j in range(len(cids) - 1, -1, -1):
        if cids[j] == 1:
            cids[j], cids[-1] = cids[-1], cids[j]
            break
    return cids


def _build(db: Path, p: Params) -> dict:
    rnd = random.Random(p.seed)
    text = _Text(rnd)
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        migrate(conn)  # the app's real schema, FTS5 and triggers included
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -400000"):
            conn.execute(f"PRAGMA {pragma}")
        # Secondary indexes and triggers go while filling and come back at the end: building
        # an index by sorting once is far faster than a million random B-tree inserts.
        saved = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'messages'"
            " AND type IN ('index', 'trigger') AND sql IS NOT NULL"
        ).fetchall()
        for kind, name, _sql in saved:
            conn.execute(f"DROP {kind.upper()} {name}")

        now = time.time()
        span = 6 * 365 * 86400.0
        start = now - span
        cids = _conversation_of_each_message(p, rnd)
        own_of = {cid: OWN[1] if cid % 9 == 0 else OWN[0] for cid in range(1, p.conversations + 1)}
        last: dict[int, tuple[int, float, str]] = {}

        def rows():
            step = span / max(p.messages, 1)
            for i, cid in enumerate(cids):
                mid = i + 1
                ts = start + i * step + rnd.random() * step * 0.5
                inbound = rnd.random() < 0.5
                body = text.body()
                kind, attachments = "sms", None
                if rnd.random() < 0.005:
                    kind = "mms"
                    attachments = json.dumps([f"https://media.example.net/{mid}.jpg"])
                code = error = None
                if inbound:
                    status, pid = "received", f"mdr-{mid}"
                    raw = json.dumps(
                        {
                            "from": peer_number(cid),
                            "to": own_of[cid],
                            "message": body,
                            "type": kind,
                            "mdr_id": pid,
                            "timestamp_s": int(ts),
                        },
                        ensure_ascii=False,
                    )
                else:
                    roll = rnd.random()
                    status = "delivered" if roll < 0.8 else "queued" if roll < 0.98 else "failed"
                    pid, raw = f"out-{mid}", None
                    if status == "failed":
                        code, error = _ERROR
                last[cid] = (mid, ts, "in" if inbound else "out")
                yield (
                    mid,
                    cid,
                    "in" if inbound else "out",
                    body,
                    kind,
                    status,
                    ts,
                    pid,
                    int(ts) - rnd.randint(0, 3),
                    code,
                    error,
                    raw,
                    attachments,
                    0 if inbound else 1,
                )

        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO conversations (id, own_number, peer_number) VALUES (?, ?, ?)",
            [(cid, own_of[cid], peer_number(cid)) for cid in range(1, p.conversations + 1)],
        )
        conn.executemany(
            "INSERT INTO messages (id, conversation_id, direction, body, type, status, created_at,"
            " provider_id, provider_ts, error_code, error_text, raw, attachments, attempts)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows(),
        )
        conn.executemany(
            "UPDATE conversations SET last_message_id = ?, last_ts = ?, unread_count = ?"
            " WHERE id = ?",
            [
                (mid, ts, rnd.randint(1, 4) if d == "in" and rnd.random() < 0.3 else 0, cid)
                for cid, (mid, ts, d) in last.items()
            ],
        )
        conn.executemany(
            "UPDATE conversations SET draft = ? WHERE id = ?",
            [("Draft: remember the " + rnd.choice(_COMMON), cid) for cid in range(7, 200, 37)],
        )
        names = [
            (peer_number(cid), f"{rnd.choice(_FIRST.split())} {rnd.choice(_LAST.split())}")
            for cid in range(1, p.conversations + 1)
            if cid <= p.big_threads or rnd.random() < p.contacts
        ]
        conn.executemany("INSERT INTO contacts (number, name) VALUES (?, ?)", names)
        for _kind, _name, sql in saved:
            conn.execute(sql)
        conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")
        # A years-old index built one message at a time has its bulk merged into a few large
        # segments at the top levels. 'rebuild' leaves large segments at the bottom level,
        # where each new message's small segment would be merged with them (100+ ms commits
        # that real data does not have); 'optimize' gives the realistic shape.
        conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('optimize')")
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode = WAL")  # as the app leaves it
    finally:
        conn.close()
    sizes = {cid: 0 for cid in range(1, min(p.big_threads, p.conversations) + 1)}
    for cid in cids:
        if cid in sizes:
            sizes[cid] += 1
    return {
        "big_threads": [
            {"id": cid, "peer": peer_number(cid), "own": own_of[cid], "messages": n}
            for cid, n in sizes.items()
        ],
        "newest_conversation": cids[-1] if cids else None,
        "contacts": len(names),
    }


def _settings(out: Path) -> None:
    """Settings for a configured account, so the app opens on its conversations."""
    settings = {
        "account_id": ACCOUNT,
        "numbers": list(OWN),
        "default_country": "GB",
        "webhook_secret": WEBHOOK_SECRET,
        "tunnel_mode": "none",
        "notifications": False,
        "close_to_tray": False,
    }
    (out / "settings.json").write_text(json.dumps(settings, indent=2), "utf-8")


def read_manifest(out: Path) -> dict | None:
    try:
        return json.loads((Path(out) / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def generate(out: Path, params: Params, *, quiet: bool = False) -> dict:
    """Build the data dir at `out` (or reuse it when it holds these params); its manifest."""
    out = Path(out)
    manifest = read_manifest(out)
    reusable = manifest is not None and manifest.get("params") == asdict(params)
    if reusable and database_path(out).exists():
        return manifest
    if out.exists() and manifest is None and any(out.iterdir()):
        raise SystemExit(f"{out} exists and is not a benchmark data dir; not touching it")
    started = time.perf_counter()
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    info = _build(database_path(partial), params)
    _settings(partial)
    size = sum(f.stat().st_size for f in partial.iterdir() if f.is_file())
    manifest = {
        "params": asdict(params),
        **info,
        "own_numbers": list(OWN),
        "account_id": ACCOUNT,
        "webhook_secret": WEBHOOK_SECRET,
        "seconds": round(time.perf_counter() - started, 1),
        "bytes": size,
    }
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2), "utf-8")
    shutil.rmtree(out, ignore_errors=True)
    os.replace(partial, out)
    if not quiet:
        print(
            f"generated {params.messages:,} messages in {params.conversations:,} conversations "
            f"at {out}: {manifest['seconds']} s, {size / 1e6:.0f} MB",
            file=sys.stderr,
        )
    return manifest


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = Params()
    parser.add_argument("--messages", type=int, default=d.messages)
    parser.add_argument("--conversations", type=int, default=d.conversations)
    parser.add_argument("--big-threads", type=int, default=d.big_threads)
    parser.add_argument("--big-size", type=int, default=d.big_size)
    parser.add_argument("--seed", type=int, default=d.seed)


def params_from(args: argparse.Namespace) -> Params:
    big_size = min(args.big_size, math.ceil(args.messages / max(args.big_threads, 1) / 2))
    return Params(
        messages=args.messages,
        conversations=args.conversations,
        big_threads=args.big_threads,
        big_size=big_size,
        seed=args.seed,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the data dir to make")
    add_arguments(parser)
    args = parser.parse_args(argv)
    manifest = generate(args.out, params_from(args))
    print(json.dumps({k: manifest[k] for k in ("seconds", "bytes", "big_threads")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
