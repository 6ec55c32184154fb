"""Requests, votes and grants; every status change is atomic and audited."""

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
        target_user=row["target_user"], starts_at=from_iso(row.get("starts_at")),
    )


def _grant(row: dict[str, Any]) -> Grant:
    return Grant(
        id=row["id"], request_id=row["request_id"], requester=row["requester"],
        role=row["role"], role_arn=row["role_arn"], started_at=from_iso(row["started_at"]),
        ends_at=from_iso(row["ends_at"]), source_identity=row["source_identity"],
        session_name=row["session_name"], delivered=bool(row["delivered"]),
        dm_channel=row["dm_channel"], dm_ts=row["dm_ts"], ended_at=from_iso(row["ended_at"]),
        end_status=Status(row["end_status"]) if row["end_status"] else None,
        warning_channel=row.get("warning_channel"), warning_ts=row.get("warning_ts"),
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
                       details: dict[str, Any] | None = None,
                       starts_at: datetime | None = None) -> AccessRequest:
        """Insert a pending request and its `request.created` entry, refusing duplicates."""
        with self.store.transaction():
            self.store.serialise(f"requests-of:{target_user or requester}")
            self._refuse_duplicate(kind, requester, role, parent_id, target_user)
            request_id = self.store.insert("requests", {
                "kind": kind.value, "requester": requester, "role": role,
                "duration_seconds": duration_seconds, "reason": reason,
                "status": Status.PENDING.value, "created_at": to_iso(now),
                "updated_at": to_iso(now), "approvals_required": approvals_required,
                "parent_id": parent_id, "target_user": target_user,
                **({"starts_at": to_iso(starts_at)} if starts_at else {})})
            request = self.get(request_id)
            self.audit.append(
                at=now, actor=requester, action="request.created", request_id=request.id,
                role=role, subject=target_user or requester,
                details={"kind": kind.value, "duration_seconds": duration_seconds,
                         "reason": reason, **(details or {}),
                         **({"starts_at": to_iso(starts_at)} if starts_at else {})},
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
        open_ = ("pending", "approved") + (() if kind is Kind.EXTEND else ("active",))
        row = self.store.first(
            "requests", f"{sql} AND status IN ({','.join('?' * len(open_))})",
            (*params, *open_), order_by="id")
        if row:
            raise DuplicateRequest(_request(row))

    def get(self, request_id: int) -> AccessRequest | None:
        row = self.store.first("requests", "id = ?", [request_id])
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
            # SQL: the status guard and its row count make two racing clicks decide once.
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
        self.store.update("requests", request_id, {"channel": channel, "message_ts": ts})

    def requests_where(self, where: str, params: tuple[Any, ...] = ()) -> list[AccessRequest]:
        return [_request(row) for row in self.store.rows("requests", where, params, order_by="id")]

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
        vote = {"request_id": request_id, "approver": approver, "decision": decision,
                "at": to_iso(now)}
        return self.store.insert("votes", vote, ignore=True) is not None

    def approvers_of(self, request_id: int) -> list[str]:
        rows = self.store.rows("votes", "request_id = ? AND decision = 'approve'", [request_id],
                               order_by="at", select="approver")
        return [row["approver"] for row in rows]

    # --- grants ---------------------------------------------------------------------------

    def create_grant(self, request: AccessRequest, *, role_arn: str, started_at: datetime,
                     ends_at: datetime, source_identity: str, session_name: str) -> Grant:
        with self.store.transaction():
            grant_id = self.store.insert("grants", {
                "request_id": request.id, "requester": request.requester, "role": request.role,
                "role_arn": role_arn, "started_at": to_iso(started_at),
                "ends_at": to_iso(ends_at), "source_identity": source_identity,
                "session_name": session_name})
            self.store.update("requests", request.id, {"grant_id": grant_id})
            return self.grant(grant_id)

    def grant(self, grant_id: int) -> Grant | None:
        row = self.store.first("grants", "id = ?", [grant_id])
        return _grant(row) if row else None

    def update_grant(self, grant_id: int, **fields: Any) -> None:
        self.store.update("grants", grant_id, _columns(fields))

    def end_grant(self, grant_id: int, status: Status, now: datetime) -> bool:
        """Mark a live grant ended; False when it had already ended."""
        # SQL: guarded by `ended_at IS NULL`, so an expiry and a revoke end a grant once.
        cursor = self.store.execute(
            "UPDATE grants SET ended_at=?, end_status=? WHERE id=? AND ended_at IS NULL",
            (to_iso(now), status.value, grant_id))
        return cursor.rowcount == 1

    def live_grants(self, where: str = "1=1", params: tuple[Any, ...] = ()) -> list[Grant]:
        rows = self.store.rows("grants", f"ended_at IS NULL AND {where}", params,
                               order_by="ends_at")
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
