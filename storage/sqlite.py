"""The SQLite store: one file (WAL), one connection shared by every thread, writes serialised."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.db import NotFoundError

from storage.base import Params, UniqueViolation
from storage.schema import MIGRATIONS


class SqliteStore:
    """One SQLite connection shared by every thread, with writes serialised by a lock."""

    dialect = "sqlite"
    skip_locked = ""  # one process, writes serialised: a claim never meets another's lock

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

    def query(self, sql: str, params: Params = ()) -> list[dict]:
        with self.lock:
            cursor = self.db.conn.execute(sql, params)
            columns = [c[0] for c in cursor.description or []]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def query_one(self, sql: str, params: Params = ()) -> dict | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        with self.transaction() as conn:
            return conn.execute(sql, params)

    # sqlite-utils for plain reads and writes; hand-written SQL stays only where a guarded
    # update is checked by its row count or a query must follow a particular index.

    def rows(self, table: str, where: str | None = None, params: Sequence[Any] = (), *,
             order_by: str | None = None, limit: int | None = None,
             select: str = "*") -> list[dict[str, Any]]:
        """The rows of `table` matching `where`, as dicts."""
        with self.lock:
            return list(self.db.table(table).rows_where(where, list(params), order_by=order_by,
                                                        limit=limit, select=select))

    def first(self, table: str, where: str | None = None, params: Sequence[Any] = (), *,
              order_by: str | None = None) -> dict[str, Any] | None:
        rows = self.rows(table, where, params, order_by=order_by, limit=1)
        return rows[0] if rows else None

    def insert(self, table: str, row: dict[str, Any], *, ignore: bool = False) -> int | None:
        """Insert one row and return its rowid; None when `ignore` kept an existing row."""
        with self.transaction():
            before = self.db.conn.total_changes
            try:
                inserted = self.db.table(table).insert(row, ignore=ignore)
            except sqlite3.IntegrityError as exc:
                if "UNIQUE" not in str(exc):
                    raise
                raise UniqueViolation(str(exc)) from None
            return inserted.last_rowid if self.db.conn.total_changes > before else None

    def insert_all(self, table: str, rows: Iterable[dict[str, Any]], *,
                   ignore: bool = False) -> None:
        with self.transaction():
            self.db.table(table).insert_all(rows, ignore=ignore)

    def update(self, table: str, pk: Any, fields: dict[str, Any]) -> None:
        """Set `fields` on the row whose primary key is `pk`; a missing row changes nothing."""
        with self.transaction():
            try:
                self.db.table(table).update(pk, fields)
            except NotFoundError:
                return

    def upsert(self, table: str, row: dict[str, Any], *, pk: str) -> None:
        """Insert the row, or update the one with the same primary key."""
        with self.transaction():
            self.db.table(table).upsert(row, pk=pk)

    def serialise(self, topic: str) -> None:
        """Nothing to do: a SQLite write transaction already excludes every other writer."""

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

    def migrate(self) -> list[str]:
        """Apply every migration not yet applied, in order; return the names applied now."""
        applied_now = []
        with self.transaction():
            ledger = self.db.table("migrations")
            ledger.create({"name": str, "at": str}, pk="name", if_not_exists=True)
            done = {row["name"] for row in ledger.rows}
            for name, steps in MIGRATIONS:
                if name in done:
                    continue
                for step in steps:
                    if isinstance(step, str):
                        self.db.conn.execute(step)
                    else:
                        step(self.db)
                at = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
                ledger.insert({"name": name, "at": at})
                applied_now.append(name)
        return applied_now
