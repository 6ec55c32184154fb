"""The PostgreSQL store: a connection pool; a transaction keeps one connection for its thread."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

import psycopg
from psycopg import errors
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from storage.base import DatabaseUnreachable, Params, UniqueViolation
from storage.schema import MIGRATIONS
from storage.schema_postgres import twins_in_order

MIGRATION_LOCK = 7_146_839_202  # pg_advisory_xact_lock key: one replica migrates at a time


def _pg(sql: str) -> str:
    """SQLite's `?` placeholders in psycopg's words (a literal % doubled first)."""
    return sql.replace("%", "%%").replace("?", "%s")


def _values(params: Params) -> tuple[Any, ...]:
    if isinstance(params, dict):
        raise TypeError("named parameters are not supported: pass a tuple for the ? marks")
    return tuple(int(value) if isinstance(value, bool) else value for value in params)


def _names(columns: Iterable[str]) -> str:
    return ", ".join(f'"{column}"' for column in columns)


class PgConnection:
    """What `transaction()` yields: `execute` with `?` placeholders, as on SQLite."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Params = ()) -> psycopg.Cursor:
        return self.conn.execute(_pg(sql), _values(params))


class PostgresStore:
    """Any number of replicas share one PostgreSQL database through this store."""

    dialect = "postgresql"
    skip_locked = " FOR UPDATE SKIP LOCKED"  # a claim passes over rows another replica holds

    def __init__(self, url: str, *, max_size: int = 10, wait: int = 15) -> None:
        try:  # one plain connection first: a wrong URL fails now, saying why
            psycopg.connect(url, connect_timeout=wait).close()
        except psycopg.OperationalError as exc:
            reason = " ".join(line.strip() for line in str(exc).splitlines()) or "no answer"
            raise DatabaseUnreachable(
                f"cannot connect to PostgreSQL ({reason}): check that the server in "
                "GATEHOUSE_DB is running and the user, password and database are right") from None
        self.pool = ConnectionPool(url, min_size=1, max_size=max_size, open=True,
                                   kwargs={"autocommit": True, "row_factory": dict_row},
                                   name="gatehouse")
        self._local = threading.local()
        self._keys: dict[str, list[str]] = {}

    @contextmanager
    def transaction(self) -> Iterator[PgConnection]:
        """All statements inside commit together or not at all; nesting joins the outer one."""
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield PgConnection(current)
            return
        with self.pool.connection() as conn, conn.transaction():
            self._local.conn = conn
            try:
                yield PgConnection(conn)
            finally:
                self._local.conn = None

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        """The thread's transaction's connection, else one from the pool (autocommit)."""
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        with self.pool.connection() as conn:
            yield conn

    def query(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        with self._connection() as conn:
            return conn.execute(_pg(sql), _values(params)).fetchall()

    def query_one(self, sql: str, params: Params = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def execute(self, sql: str, params: Params = ()) -> psycopg.Cursor:
        """One statement: atomic on its own, or part of the thread's open transaction."""
        with self._connection() as conn:
            return conn.execute(_pg(sql), _values(params))

    def rows(self, table: str, where: str | None = None, params: Sequence[Any] = (), *,
             order_by: str | None = None, limit: int | None = None,
             select: str = "*") -> list[dict[str, Any]]:
        sql = f"SELECT {select} FROM {table}"
        sql += f" WHERE {where}" if where else ""
        sql += f" ORDER BY {order_by}" if order_by else ""
        sql += f" LIMIT {int(limit)}" if limit is not None else ""
        return self.query(sql, params)

    def first(self, table: str, where: str | None = None, params: Sequence[Any] = (), *,
              order_by: str | None = None) -> dict[str, Any] | None:
        rows = self.rows(table, where, params, order_by=order_by, limit=1)
        return rows[0] if rows else None

    def insert(self, table: str, row: dict[str, Any], *, ignore: bool = False) -> int | None:
        """Insert one row and return its id (1 for a table without one); None when `ignore`
        kept an existing row. A unique clash raises UniqueViolation and leaves the caller's
        transaction usable (the insert runs in a savepoint)."""
        returning = "id" if self._key(table) == ["id"] else "1"
        sql = (f"INSERT INTO {table} ({_names(row)}) VALUES ({', '.join('?' * len(row))})"
               f"{' ON CONFLICT DO NOTHING' if ignore else ''} RETURNING {returning} AS one")
        with self._connection() as conn:
            try:
                with conn.transaction():
                    found = conn.execute(_pg(sql), _values(tuple(row.values()))).fetchone()
            except errors.UniqueViolation as exc:
                raise UniqueViolation(str(exc).splitlines()[0]) from None
        return None if found is None else found["one"]

    def insert_all(self, table: str, rows: Iterable[dict[str, Any]], *,
                   ignore: bool = False) -> None:
        rows = list(rows)
        if not rows:
            return
        sql = (f"INSERT INTO {table} ({_names(rows[0])}) VALUES ({', '.join('?' * len(rows[0]))})"
               f"{' ON CONFLICT DO NOTHING' if ignore else ''}")
        with self.transaction() as tx, tx.conn.cursor() as cursor:
            cursor.executemany(_pg(sql), [_values(tuple(row.values())) for row in rows])

    def update(self, table: str, pk: Any, fields: dict[str, Any]) -> None:
        """Set `fields` on the row whose primary key is `pk`; a missing row changes nothing."""
        if not fields:
            return
        assignments = ", ".join(f'"{name}"=?' for name in fields)
        key = self._key(table)[0]
        self.execute(f'UPDATE {table} SET {assignments} WHERE "{key}"=?', (*fields.values(), pk))

    def upsert(self, table: str, row: dict[str, Any], *, pk: str) -> None:
        """Insert the row, or update the one with the same primary key."""
        others = [name for name in row if name != pk]
        action = ("DO UPDATE SET " + ", ".join(f'"{n}"=EXCLUDED."{n}"' for n in others)
                  if others else "DO NOTHING")
        self.execute(f"INSERT INTO {table} ({_names(row)}) VALUES ({', '.join('?' * len(row))})"
                     f' ON CONFLICT ("{pk}") {action}', tuple(row.values()))

    def serialise(self, topic: str) -> None:
        """Until this transaction ends, other transactions serialising on `topic` wait."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            raise RuntimeError("serialise needs a transaction: call it inside transaction()")
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (topic,))

    def _key(self, table: str) -> list[str]:
        """The table's primary key columns, read from the catalogue once."""
        if table not in self._keys:
            rows = self.query(
                "SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a"
                " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
                " WHERE i.indrelid = ?::regclass AND i.indisprimary ORDER BY a.attnum", (table,))
            self._keys[table] = [row["name"] for row in rows]
        return self._keys[table]

    def healthy(self) -> bool:
        """True when this replica reaches the database and reads a real table."""
        try:
            with self.pool.connection(timeout=5) as conn:
                conn.execute("SELECT count(*) FROM migrations").fetchone()
            return True
        except (psycopg.Error, PoolTimeout):
            return False

    def close(self) -> None:
        self.pool.close()

    def migrate(self) -> list[str]:
        """Apply every migration not yet applied, in order; return the names applied now.

        A transaction-scoped advisory lock makes replicas starting together take turns: the
        first applies, the others then find every migration done.
        """
        plan = twins_in_order([name for name, _ in MIGRATIONS])
        applied_now = []
        with self.transaction() as tx:
            tx.conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            tx.conn.execute('CREATE TABLE IF NOT EXISTS migrations'
                            ' (name TEXT COLLATE "C" PRIMARY KEY, at TEXT NOT NULL)')
            done = {row["name"] for row in tx.conn.execute("SELECT name FROM migrations")}
            for name, steps in plan:
                if name in done:
                    continue
                for step in steps:
                    tx.conn.execute(step)
                at = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
                tx.execute("INSERT INTO migrations (name, at) VALUES (?, ?)", (name, at))
                applied_now.append(name)
        return applied_now
