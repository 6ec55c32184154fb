"""Bot processes sharing one database: a throw-away PostgreSQL cluster, replicas, a shared clock."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bench.common import ROOT, SECRET, Server, Stack, free_port
from fake_services.slack_signing import SlackClient


def postgres() -> Any:
    """A started PostgreSQL cluster (tests/pg_server.py: initdb + pg_ctl on a loopback port)."""
    from tests.pg_server import PgServer, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (no initdb on PATH or in "
                           "/usr/lib/postgresql/*/bin): `make postgres` installs it")
    return PgServer(bin_dir).start()


def rows(db: str, sql: str) -> list[tuple]:
    """Run one query on a PostgreSQL URL or a SQLite file."""
    if db.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db) as conn:
            return conn.execute(sql).fetchall()
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def count(db: str, sql: str) -> int:
    return int(rows(db, sql)[0][0])


def wait_until(predicate: Callable[[], bool], timeout: float, poll: float = 0.02) -> float | None:
    """Seconds until `predicate()` held, or None if it did not within `timeout`."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if predicate():
            return time.perf_counter() - start
        time.sleep(poll)
    return None


class FileClock:
    """The time the replicas read (GATEHOUSE_TEST_CLOCK); the benchmark moves it forward."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "clock"
        self.now = datetime.now(timezone.utc).replace(microsecond=0)
        self.path.write_text(self.now.isoformat())

    def advance(self, delta: timedelta) -> None:
        self.now += delta
        self.path.write_text(self.now.isoformat())


class Replicas:
    """`count` bot processes on one database: `python bot.py`, or with a file clock
    `python -m tests.e2e.replica_bot` (the same run, sweeping whenever the last sweep ends)."""

    def __init__(self, stack: Stack, name: str, db: str, count: int,
                 clock: FileClock | None = None) -> None:
        self.db = db
        base = stack.bot_env(name, 0)
        base["GATEHOUSE_DB"] = db
        if clock is not None:
            base["GATEHOUSE_TEST_CLOCK"] = str(clock.path)
        subprocess.run([sys.executable, "bot.py", "migrate"], env=base, cwd=ROOT, check=True,
                       capture_output=True)
        args = ["-m", "tests.e2e.replica_bot"] if clock is not None else ["bot.py"]
        self.servers: list[Server] = []
        try:
            for n in range(count):
                env = {**base, "PORT": str(free_port())}
                self.servers.append(Server(args, env, stack.folder / f"{name}-{n}.log"))
        except Exception:
            self.stop()
            raise
        self.clients = [SlackClient(s.url, SECRET, fake=stack.slack, timeout=30)
                        for s in self.servers]

    def client(self, index: int) -> SlackClient:
        """Round-robin: the index-th command goes to replica index mod count."""
        return self.clients[index % len(self.clients)]

    def stop(self) -> None:
        stoppers = [threading.Thread(target=s.stop) for s in self.servers]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()
