"""`python bot.py migrate`: create or upgrade the schema of GATEHOUSE_DB and say what changed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from storage.base import DatabaseUnreachable, MigrationError
from storage.database import connect, redacted
from storage.schema import MIGRATIONS


def run_migrate(location: str | Path, out: TextIO) -> int:
    """Apply the migrations the database lacks (safe while replicas run); 0 when up to date."""
    where = redacted(location)
    try:
        store = connect(location)
    except DatabaseUnreachable as exc:
        print(f"migrate: {where}: {exc}", file=sys.stderr)
        return 2
    try:
        applied = store.migrate()
    except MigrationError as exc:
        print(f"migrate: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    if applied:
        print(f"migrate: applied {', '.join(applied)} to {where}", file=out)
    else:
        print(f"migrate: {where} is up to date ({len(MIGRATIONS)} migrations)", file=out)
    return 0
