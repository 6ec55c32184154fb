"""The one storage port both databases implement, and the errors they share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

Params = Sequence[Any] | dict[str, Any]


class UniqueViolation(Exception):
    """An insert broke a unique constraint or index (the other writer got there first)."""


class MigrationError(Exception):
    """The schema cannot be brought up to date; the message says what to fix."""


class Cursor(Protocol):
    rowcount: int


class Connection(Protocol):
    """What a transaction yields: SQL with `?` placeholders, on either database."""

    def execute(self, sql: str, params: Params = ...) -> Cursor: ...


class Store(Protocol):
    """A database: SQLite (one process) or PostgreSQL (any number of replicas).

    Repositories write SQL with `?` placeholders and the common subset of both dialects;
    `skip_locked` is appended to a sub-select that claims rows; `serialise(topic)` makes
    transactions on the same topic (the audit chain's head, one requester) take turns.
    """

    dialect: str
    skip_locked: str

    def transaction(self) -> AbstractContextManager[Connection]: ...

    def query(self, sql: str, params: Params = ()) -> list[dict[str, Any]]: ...

    def query_one(self, sql: str, params: Params = ()) -> dict[str, Any] | None: ...

    def execute(self, sql: str, params: Params = ()) -> Cursor: ...

    def rows(self, table: str, where: str | None = None, params: Sequence[Any] = (), *,
             order_by: str | None = None, limit: int | None = None,
             select: str = "*") -> list[dict[str, Any]]: ...

    def first(self, table: str, where: str | None = None, params: Sequence[Any] = (), *,
              order_by: str | None = None) -> dict[str, Any] | None: ...

    def insert(self, table: str, row: dict[str, Any], *, ignore: bool = False) -> int | None: ...

    def insert_all(self, table: str, rows: Iterable[dict[str, Any]], *,
                   ignore: bool = False) -> None: ...

    def update(self, table: str, pk: Any, fields: dict[str, Any]) -> None: ...

    def upsert(self, table: str, row: dict[str, Any], *, pk: str) -> None: ...

    def serialise(self, topic: str) -> None: ...

    def migrate(self) -> list[str]: ...

    def healthy(self) -> bool: ...

    def close(self) -> None: ...


class DatabaseUnreachable(Exception):
    """The database server could not be reached; the message says what to check."""
