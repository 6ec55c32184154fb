"""Open the SQLite database (WAL, one serialised connection) and apply migrations."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlite_utils

from storage.schema import MIGRATIONS

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def to_iso(moment: datetime) -> str:
    """A UTC timestamp that sorts as text, such as 2026-11-29T09:00:00Z."""
    return moment.astimezone(timezone.utc).strftime(ISO_FORMAT)


def from_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.strptime(text, ISO_FORMAT).replace(tzinfo=timezone.utc)


class Store:
    """One SQLite connection shared by every thread, with writes serialised by a lock."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        conn = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=10
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        self.db = sqlite_utils.Database(conn)
        self.lock = threading.RLock()
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All statements inside commit together or not at all; nesting joins the outer one."""
        with self.lock:
            conn = self.db.conn
            outermost = self._depth == 0
            if outermost:
                conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield conn
            except BaseException:
                self._depth -= 1
                if outermost:
                    conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outermost:
                conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict]:
        with self.lock:
            cursor = self.db.conn.execute(sql, params)
            columns = [c[0] for c in cursor.description or []]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def query_one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> dict | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def execute(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> sqlite3.Cursor:
        with self.transaction() as conn:
            return conn.execute(sql, params)

    def healthy(self) -> bool:
        """True when the database file is still there and a read of a real table succeeds."""
        if self.path != ":memory:" and not Path(self.path).exists():
            return False  # deleted under us: writes would go to a file nobody will find
        try:
            with self.lock:
                self.db.conn.execute("SELECT count(*) FROM migrations").fetchone()
            return True
        except sqlite3.Error:
            return False

    def close(self) -> None:
        with self.lock:
            self.db.conn.close()


def open_store(path: str | Path) -> Store:
    """Open (creating if needed) the database at `path` and bring its schema up to date."""
    store = Store(path)
    migrate(store)
    return store


def migrate(store: Store) -> list[str]:
    """Apply every migration not yet applied, in order; return the names applied now."""
    applied_now = []
    with store.transaction() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, at TEXT)")
        done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
        for name, statements in MIGRATIONS:
            if name in done:
                continue
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT INTO migrations (name, at) VALUES (?, datetime('now'))", (name,))
            applied_now.append(name)
    return applied_now
