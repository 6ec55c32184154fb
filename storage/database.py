"""Open the database GATEHOUSE_DB names, SQLite or PostgreSQL, with its schema up to date."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from domain.text import ISO_FORMAT, iso_time
from storage.base import MigrationError, Store, UniqueViolation
from storage.sqlite import SqliteStore

__all__ = ["MigrationError", "SqliteStore", "Store", "UniqueViolation", "connect",
           "database_exists", "from_iso", "is_postgres", "open_store", "redacted", "to_iso"]

to_iso = iso_time  # every stored time: a UTC timestamp that sorts as text


def from_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.strptime(text, ISO_FORMAT).replace(tzinfo=timezone.utc)


def is_postgres(location: str | Path) -> bool:
    """True when GATEHOUSE_DB is a PostgreSQL URL rather than a SQLite path."""
    return str(location).startswith(("postgresql://", "postgres://"))


def redacted(location: str | Path) -> str:
    """The location as it may be logged or printed: a URL's password replaced by ***."""
    text = str(location)
    if not is_postgres(text):
        return text
    parts = urlsplit(text)
    if parts.password is None:
        return text
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def connect(location: str | Path) -> Store:
    """Open the database without touching its schema (`migrate` does that)."""
    if is_postgres(location):
        from storage.postgres import PostgresStore  # psycopg is needed only for PostgreSQL
        return PostgresStore(str(location))
    return SqliteStore(location)


def open_store(location: str | Path) -> Store:
    """Open (creating if needed) the database at `location` and bring its schema up to date."""
    store = connect(location)
    try:
        store.migrate()
    except BaseException:
        store.close()
        raise
    return store


def migrate(store: Store) -> list[str]:
    """Apply every migration not yet applied, in order; return the names applied now."""
    return store.migrate()


def database_exists(location: str | Path) -> bool:
    """False only for a SQLite path with no file (a server is asked when opened)."""
    return is_postgres(location) or Path(location).is_file()
