"""Requests, votes and grants in SQLite; every status change is atomic and audited."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from domain.errors import DuplicateRequest
from domain.requests import AccessRequest, Grant, Kind, Status, audit_action
from storage.audit import AuditLog
from storage.database import Store, from_iso, to_iso

__all__ = ["DuplicateRequest", "Repository"]

log = logging.getLogger("gatehouse.requests")


def _request(row: dict[str, Any]) -> AccessRequest:
    return AccessRequest(
        id=row["id"], kind=Kind(row["kind"]), requester=row["requester"], role=row["role"],
        duration_seconds=row["duration_seconds"], reason=row["reason"],
        status=Status(row["status"]), created_at=from_iso(row["created_at"]),
        approvals_required=row["approvals_required"], channel=row["channel"],
        message_ts=row["message_ts"], parent_id=row["parent_id"], grant_id=row["grant_id"],
        decided_by=row["decided_by"], decided_at=from_iso(row["decided_at"]), note=row["note"],
        target_user=row["target_user"],
    )


def _grant(row: dict[str, Any]) -> Grant:
    return Grant(
        id=row["id"], request_id=row["request_id"], requester=row["requester"],
        role=row["role"], role_arn=row["role_arn"], started_at=from_iso(row["started_at"]),
        ends_at=from_iso(row["ends_at"]), source_identity=row["source_identity"],
        session_name=row["session_name"], delivered=bool(row["delivered"]),
        dm_channel=row["dm_channel"], dm_ts=row["dm_ts"], ended_at=from_iso(row["ended_at"]),
        end_status=Status(row["end_status"]) if row["end_status"] else None,
    )


class Repository:
    """The only place that reads or writes requests, votes and grants."""

    def __init__(self, store: Store, audit: AuditLog) -> None:
        self.store = store
        self.audit = audit

    # --- requests -------------------------------------------------------------------------

    def create_request(self, *, kind: Kind, requester: str, role: str, duration_seconds: int,
                       reason: str, approvals_required: int, now: datetime,
                       parent_id: int | None = None, target_user: str | None = None,
                       details: dict[str, Any] | None = None) -> AccessRequest:
        """Insert a pending request and its `request.created` entry, refusing duplicates."""
        with self.store.transaction() as conn:
            self._refuse_duplicate(kind, requester, role, parent_id, target_user)
            cursor = conn.execute(
                "INSERT INTO requests (kind, requester, role, duration_seconds, reason, status,"
                " created_at, updated_at, approvals_required, parent_id, target_user)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (kind.value, requester, role, duration_seconds, reason, Status.PENDING.value,
                 to_iso(now), to_iso(now), approvals_required, parent_id, target_user),
            )
            request = self.get(cursor.lastrowid)
            self.audit.append(
                at=now, actor=requester, action="request.created", request_id=request.id,
                role=role, subject=target_user or requester,
                details={"kind": kind.value, "duration_seconds": duration_seconds,
                         "reason": reason, **(details or {})},
            )
        return request

    def _refuse_duplicate(self, kind: Kind, requester: str, role: str, parent_id: int | None,
                          target_user: str | None) -> None:
        if kind is Kind.EXTEND:
            sql, params = "kind='extend' AND parent_id=?", (parent_id,)
        elif kind is Kind.KEY:
            sql, params = "kind='key' AND COALESCE(target_user, requester)=?", (
                target_user or requester,)
        else:
            sql, params = "kind='access' AND requester=? AND role=?", (requester, role)
        # An extension already applied (active) does not block the next; a pending one does.
        open_ = "'pending','approved'" + ("" if kind is Kind.EXTEND else ",'active'")
        row = self.store.query_one(
            f"SELECT * FROM requests WHERE {sql} AND status IN ({open_}) ORDER BY id LIMIT 1",
            params,
        )
        if row:
            raise DuplicateRequest(_request(row))

    def get(self, request_id: int) -> AccessRequest | None:
        row = self.store.query_one("SELECT * FROM requests WHERE id=?", (request_id,))
        return _request(row) if row else None

    def move(self, request_id: int, to: Status, *, actor: str, now: datetime,
             expect: Iterable[Status] | None = None, details: dict[str, Any] | None = None,
             **fields: Any) -> AccessRequest | None:
        """Atomically move a request to `to` if it is still in an expected status.

        Returns the updated request, or None when another click or sweep got there first.
        """
        with self.store.transaction() as conn:
            current = self.get(request_id)
            allowed = set(expect) if expect is not None else {current.status} if current else set()
            if current is None or current.status not in allowed:
                return None
            action = audit_action(current.status, to, current.kind)
            updates = {"status": to.value, "updated_at": to_iso(now), **_columns(fields)}
            assignments = ", ".join(f"{name}=?" for name in updates)
            cursor = conn.execute(
                f"UPDATE requests SET {assignments} WHERE id=? AND status=?",
                (*updates.values(), request_id, current.status.value),
            )
            if cursor.rowcount != 1:
                return None
            self.audit.append(at=now, actor=actor, action=action, request_id=request_id,
                              role=current.role, subject=current.target_user or current.requester,
                              details=details or {})
        log.info(action, extra={"request": f"R-{request_id}", "role": current.role,
                                "actor": actor, "status": to.value})
        return self.get(request_id)

    def set_message(self, request_id: int, channel: str, ts: str) -> None:
        self.store.execute("UPDATE requests SET channel=?, message_ts=? WHERE id=?",
                           (channel, ts, request_id))

    def requests_where(self, where: str, params: tuple[Any, ...] = ()) -> list[AccessRequest]:
        rows = self.store.query(f"SELECT * FROM requests WHERE {where} ORDER BY id", params)
        return [_request(row) for row in rows]

    def open_requests_of(self, user: str) -> list[AccessRequest]:
        return self.requests_where(
            "requester=? AND status IN ('pending','approved','active')", (user,))

    def pending(self) -> list[AccessRequest]:
        return self.requests_where("status='pending'")

    def approved_waiting(self) -> list[AccessRequest]:
        return self.requests_where("status='approved' AND kind != 'key'")

    # --- votes ----------------------------------------------------------------------------

    def record_vote(self, request_id: int, approver: str, decision: str, now: datetime) -> bool:
        """Store one approver's vote; False when that approver already voted."""
        with self.store.transaction() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO votes (request_id, approver, decision, at) VALUES (?,?,?,?)",
                (request_id, approver, decision, to_iso(now)),
            )
            return cursor.rowcount == 1

    def approvers_of(self, request_id: int) -> list[str]:
        rows = self.store.query(
            "SELECT approver FROM votes WHERE request_id=? AND decision='approve' ORDER BY at",
            (request_id,))
        return [row["approver"] for row in rows]

    # --- grants ---------------------------------------------------------------------------

    def create_grant(self, request: AccessRequest, *, role_arn: str, started_at: datetime,
                     ends_at: datetime, source_identity: str, session_name: str) -> Grant:
        with self.store.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO grants (request_id, requester, role, role_arn, started_at, ends_at,"
                " source_identity, session_name) VALUES (?,?,?,?,?,?,?,?)",
                (request.id, request.requester, request.role, role_arn, to_iso(started_at),
                 to_iso(ends_at), source_identity, session_name),
            )
            conn.execute("UPDATE requests SET grant_id=? WHERE id=?",
                         (cursor.lastrowid, request.id))
            return self.grant(cursor.lastrowid)

    def grant(self, grant_id: int) -> Grant | None:
        row = self.store.query_one("SELECT * FROM grants WHERE id=?", (grant_id,))
        return _grant(row) if row else None

    def update_grant(self, grant_id: int, **fields: Any) -> None:
        columns = _columns(fields)
        assignments = ", ".join(f"{name}=?" for name in columns)
        self.store.execute(f"UPDATE grants SET {assignments} WHERE id=?",
                           (*columns.values(), grant_id))

    def end_grant(self, grant_id: int, status: Status, now: datetime) -> bool:
        """Mark a live grant ended; False when it had already ended."""
        cursor = self.store.execute(
            "UPDATE grants SET ended_at=?, end_status=? WHERE id=? AND ended_at IS NULL",
            (to_iso(now), status.value, grant_id))
        return cursor.rowcount == 1

    def live_grants(self, where: str = "1=1", params: tuple[Any, ...] = ()) -> list[Grant]:
        rows = self.store.query(
            f"SELECT * FROM grants WHERE ended_at IS NULL AND {where} ORDER BY ends_at", params)
        return [_grant(row) for row in rows]

    def live_grants_of(self, user: str) -> list[Grant]:
        return self.live_grants("requester=?", (user,))

    def pending_of(self, user: str) -> list[AccessRequest]:
        return self.requests_where("requester=? AND status='pending'", (user,))

    def requests_of_grant(self, grant_id: int) -> list[AccessRequest]:
        return self.requests_where("grant_id=?", (grant_id,))


def _columns(fields: dict[str, Any]) -> dict[str, Any]:
    converted = {}
    for name, value in fields.items():
        if isinstance(value, datetime):
            value = to_iso(value)
        elif hasattr(value, "value"):
            value = value.value
        elif isinstance(value, bool):
            value = int(value)
        converted[name] = value
    return converted
