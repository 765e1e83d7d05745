"""A private PostgreSQL server for the tests: Debian's server binaries (`postgresql`, installed
by .ci/system-deps), a cluster of its own in a temp dir, no TCP (its socket in that dir, trust
on the socket only), small and without fsync. Started once per test session, on first use;
each test gets a fresh schema of its own in one database (its URL sets search_path to it: a
new database per test took half a second on a busy machine), or a database of its own when it
needs one (new_database).

initdb and pg_ctl refuse to run as root: as root they run as the `postgres` user (runuser) in a
temp dir it owns."""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

INSTALL_SENTENCE = (
    "The PostgreSQL tests need the PostgreSQL server binaries (initdb, pg_ctl), which are not "
    "installed: install them with `sudo apt-get install postgresql` (or run .ci/system-deps), "
    "or put their folder on PATH."
)

TESTS_DB = "voipdesk_tests"  # where each test's schema is made

# The one role that must give a password (scram) on the socket, for the tests of password files;
# every other role is trusted there.
PASSWORD_ROLE = "voipdesk_pw"
_HBA = f"local all {PASSWORD_ROLE} scram-sha-256\nlocal all all trust\n"

# Small and quick: the machine is shared; the data is thrown away after the run.
_SETTINGS = {
    "listen_addresses": "''",
    "shared_buffers": "16MB",
    "max_connections": "200",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "autovacuum": "off",
    "max_worker_processes": "2",
    "max_parallel_workers_per_gather": "0",
    "max_wal_senders": "0",
    "wal_level": "minimal",
}


OWNER = "owner.pid"  # the test session's process, in each cluster's folder


def stop_leftovers(bindir: Path) -> list[Path]:
    """Stop the clusters of test sessions that died without their teardown (killed from outside:
    they would run on under /tmp for good) and remove their folders; returns those folders."""
    stopped = []
    for folder in map(Path, glob.glob(os.path.join(tempfile.gettempdir(), "voipdesk-pg-*"))):
        try:
            owner = int((folder / OWNER).read_text())
        except (OSError, ValueError):
            continue  # not one of ours, or still being made
        if owner == os.getpid() or _alive(owner):
            continue
        leftover = Cluster.__new__(Cluster)
        leftover.bindir, leftover.dir = bindir, folder
        leftover.data, leftover.log = folder / "data", folder / "server.log"
        leftover.as_root = os.geteuid() == 0
        leftover.stop()
        stopped.append(folder)
    return stopped


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def server_bindir() -> Path | None:
    """The folder of initdb/pg_ctl: VOIPDESK_TEST_PG_BINDIR when set, else on PATH, else
    Debian's newest /usr/lib/postgresql/N/bin."""
    chosen = os.environ.get("VOIPDESK_TEST_PG_BINDIR")
    if chosen is not None:
        return Path(chosen) if (Path(chosen) / "initdb").exists() else None
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A running private cluster: `url(dbname)` connects through its socket as its superuser."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        self.user = "postgres" if self.as_root else _whoami()
        self.dir = Path(tempfile.mkdtemp(prefix="voipdesk-pg-"))
        (self.dir / OWNER).write_text(str(os.getpid()))  # stop_leftovers() reads it
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = _free_port()
        self._names = itertools.count(1)
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
            self.dir.chmod(0o755)  # root (the tests) reaches the socket inside it

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=self.dir, check=False)
        if proc.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout}{proc.stderr}\n{log}")

    def start(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            self.user,
            "--auth-local=trust",
            "--auth-host=reject",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        hba = self.data / "pg_hba.conf"
        hba.write_text(_HBA)
        if self.as_root:
            shutil.chown(hba, "postgres", "postgres")
        self.resume()
        self.admin(f"CREATE DATABASE {TESTS_DB}")

    def resume(self) -> None:
        """Start the server (again, after halt()) on the same socket and port."""
        options = " ".join(f"-c {k}={v}" for k, v in _SETTINGS.items())
        options += f" -p {self.port} -k {self.dir}"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o", options, "start")

    def halt(self) -> None:
        """Stop the server as an administrator would (its clients are disconnected), keeping
        its data: resume() starts it again. Only on a cluster of the test's own (the
        session's serves every other test)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@/{dbname}?host={self.dir}&port={self.port}"

    def admin(self, sql: str, dbname: str = "postgres") -> None:
        """Run one statement on a database (the maintenance one), outside a transaction."""
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            conn.execute("SET lock_timeout = '10s'")
            conn.execute(sql)

    def new_schema(self) -> str:
        """A fresh empty schema in the tests' database; a URL whose search_path is it."""
        name = f"s{os.getpid()}_{next(self._names)}"
        self.admin(f"CREATE SCHEMA {name}", TESTS_DB)
        return f"{self.url(TESTS_DB)}&options=-csearch_path%3D{name}"

    def drop_schema(self, url: str) -> None:
        with contextlib.suppress(Exception):
            self.admin(f"DROP SCHEMA IF EXISTS {schema_name(url)} CASCADE", TESTS_DB)

    def new_database(self) -> str:
        """A fresh empty database; its URL."""
        name = f"t{os.getpid()}_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE template0 STRATEGY wal_log")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = database_name(url)
        with contextlib.suppress(Exception):
            self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def database_name(url: str) -> str:
    return url.split("/")[3].split("?")[0]


def schema_name(url: str) -> str:
    """The schema a new_schema() URL sets as search_path."""
    return url.rpartition("search_path%3D")[2]


def _whoami() -> str:
    import getpass

    return getpass.getuser()
