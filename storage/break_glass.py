"""Break-glass uses and their reviews: the weekly count and the one-time verdict."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.break_glass import BreakGlassUse, Verdict
from storage.database import Store, from_iso, to_iso


def _use(row: dict[str, Any]) -> BreakGlassUse:
    return BreakGlassUse(
        request_id=row["request_id"], requester=row["requester"], role=row["role"],
        used_at=from_iso(row["used_at"]), review_channel=row["review_channel"],
        review_ts=row["review_ts"], verdict=Verdict(row["verdict"]) if row["verdict"] else None,
        reviewed_by=row["reviewed_by"], reviewed_at=from_iso(row["reviewed_at"]))


class BreakGlassRepository:
    """The `break_glass` table: one row per use, written with its request."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def uses_since(self, requester: str, role: str, since: datetime) -> list[datetime]:
        """When `requester` broke the glass on `role` after `since`.

        Inside the caller's transaction, other replicas counting the same person's uses wait
        until it ends, so a count and the insert it allows cannot interleave with theirs.
        """
        with self.store.transaction():
            self.store.serialise(f"break-glass-of:{requester}")
            rows = self.store.rows("break_glass", "requester=? AND role=? AND used_at>?",
                                   (requester, role, to_iso(since)), order_by="used_at")
        return [from_iso(row["used_at"]) for row in rows]

    def record_use(self, request_id: int, requester: str, role: str, now: datetime) -> None:
        self.store.insert("break_glass", {"request_id": request_id, "requester": requester,
                                          "role": role, "used_at": to_iso(now)})

    def set_review_message(self, request_id: int, channel: str, ts: str) -> None:
        self.store.execute("UPDATE break_glass SET review_channel=?, review_ts=? "
                           "WHERE request_id=?", (channel, ts, request_id))

    def use(self, request_id: int) -> BreakGlassUse | None:
        row = self.store.first("break_glass", "request_id=?", (request_id,))
        return _use(row) if row else None

    def record_verdict(self, request_id: int, verdict: Verdict, by: str, now: datetime) -> bool:
        """Store the review once; False when someone answered first."""
        # SQL: guarded by `verdict IS NULL`, so two clicks record one review.
        cursor = self.store.execute(
            "UPDATE break_glass SET verdict=?, reviewed_by=?, reviewed_at=? "
            "WHERE request_id=? AND verdict IS NULL", (verdict.value, by, to_iso(now), request_id))
        return cursor.rowcount == 1

    def unreviewed(self) -> list[BreakGlassUse]:
        return [_use(row) for row in self.store.rows("break_glass", "verdict IS NULL",
                                                      order_by="used_at")]
