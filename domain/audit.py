"""One entry of the hash-chained audit log, as read back and exported."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SYSTEM = "gatehouse"  # the actor of every step Gatehouse takes by itself
EXPORT_FIELDS = ("id", "at", "actor", "action", "request_id", "role", "subject", "details", "hash")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    request_id: int | None
    role: str | None
    subject: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str

    def as_export(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in EXPORT_FIELDS} | {"prev_hash": self.prev_hash}
