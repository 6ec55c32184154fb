"""The append-only, hash-chained audit log: append, verify, export and query."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from domain.audit import EXPORT_FIELDS, AuditEntry
from storage.database import Store, to_iso

__all__ = ["EXPORT_FIELDS", "AuditEntry", "AuditLog", "export"]

GENESIS = "0" * 64


def entry_hash(prev_hash: str, body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def _body(entry_id: int, at: str, actor: str, action: str, request_id: int | None,
          role: str | None, subject: str | None, details: dict[str, Any]) -> dict[str, Any]:
    return {"id": entry_id, "at": at, "actor": actor, "action": action,
            "request_id": request_id, "role": role, "subject": subject, "details": details}


class AuditLog:
    """Writes go through the store's transaction, so an entry lands with the change it records."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def append(self, *, at: datetime, actor: str, action: str, request_id: int | None = None,
               role: str | None = None, subject: str | None = None,
               details: dict[str, Any] | None = None) -> int:
        with self.store.transaction():
            self.store.serialise("audit-chain")  # replicas append one at a time: no fork
            last = self.store.rows("audit", select="id, hash", order_by="id DESC", limit=1)
            entry_id, prev = (last[0]["id"] + 1, last[0]["hash"]) if last else (1, GENESIS)
            body = _body(entry_id, to_iso(at), actor, action, request_id, role, subject,
                         details or {})
            self.store.insert("audit", {
                "id": entry_id, "at": body["at"], "actor": actor, "action": action,
                "request_id": request_id, "role": role, "subject": subject,
                "details": json.dumps(body["details"], sort_keys=True), "prev_hash": prev,
                "hash": entry_hash(prev, body)})
        return entry_id

    def entries(self, since: str | None = None, batch: int = 5000) -> Iterator[AuditEntry]:
        """Every entry in order, streamed in batches (the log may hold millions)."""
        last_id = 0
        while True:
            rows = self.store.rows("audit", "id > ? AND at >= ?", [last_id, since or ""],
                                   order_by="id", limit=batch)
            for row in rows:
                yield _entry(row)
            if len(rows) < batch:
                return
            last_id = rows[-1]["id"]

    def verify(self) -> tuple[int, int | None]:
        """Return (entries checked, id of the first bad entry or None)."""
        prev, count = GENESIS, 0
        for entry in self.entries():
            body = _body(entry.id, entry.at, entry.actor, entry.action, entry.request_id,
                         entry.role, entry.subject, entry.details)
            if entry.prev_hash != prev or entry_hash(prev, body) != entry.hash:
                return count, entry.id
            prev, count = entry.hash, count + 1
        return count, None

    def recent(self, *, since: datetime, subject: str | None = None, role: str | None = None,
               limit: int = 25) -> list[AuditEntry]:
        """Newest entries first; each filter walks its own (column, at) index."""
        people = ("subject", "actor") if subject else (None,)
        rows: dict[int, dict[str, Any]] = {}
        for column in people:
            for row in self._newest(since, column, subject, role, limit):
                rows[row["id"]] = row
        newest = sorted(rows.values(), key=lambda r: (r["at"], r["id"]), reverse=True)
        return [_entry(row) for row in newest[:limit]]

    def _newest(self, since: datetime, column: str | None, person: str | None,
                role: str | None, limit: int) -> list[dict[str, Any]]:
        clauses, params = ["at >= ?"], [to_iso(since)]
        if column:
            clauses.insert(0, f"{column} = ?")
            params.insert(0, person)
        if role:
            clauses.append("role = ?")
            params.append(role)
        # SQL: `column = ? AND at >= ? ORDER BY at DESC` walks that column's (column, at) index.
        return self.store.query(
            f"SELECT * FROM audit WHERE {' AND '.join(clauses)} ORDER BY at DESC, id DESC LIMIT ?",
            (*params, limit))


def _entry(row: dict[str, Any]) -> AuditEntry:
    return AuditEntry(**{**row, "details": json.loads(row["details"])})


def export(entries: Iterator[AuditEntry], fmt: str, out: io.TextIOBase) -> int:
    """Write entries as JSON lines or CSV; return how many were written."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=[*EXPORT_FIELDS, "prev_hash"])
        writer.writeheader()
        for entry in entries:
            row = entry.as_export()
            writer.writerow({**row, "details": json.dumps(row["details"], sort_keys=True)})
            count += 1
        return count
    for entry in entries:
        out.write(json.dumps(entry.as_export(), sort_keys=True) + "\n")
        count += 1
    return count
