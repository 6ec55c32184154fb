"""Key rotations: every change of state is one atomic, audited UPDATE."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from domain.errors import AlreadyRequested
from domain.requests import AccessRequest, Kind
from domain.rotation import (
    AUDIT_ROLE,
    OPEN_STATES,
    UNDELIVERED,
    Rotation,
    RotationInProgress,
    RotationPlan,
    RotationState,
    audit_action,
)
from storage.audit import AuditLog
from storage.database import Store, UniqueViolation, from_iso, to_iso
from storage.repository import DuplicateRequest, Repository

__all__ = ["AUDIT_ROLE", "KeyRequests", "RotationInProgress", "RotationRepository"]
_OPEN = ", ".join(f"'{state.value}'" for state in OPEN_STATES)


def _precise(text: str | None) -> datetime | None:
    """AWS's key creation time keeps its fraction of a second (it is compared to a last use)."""
    return datetime.fromisoformat(text) if text else None


def _rotation(row: dict[str, Any]) -> Rotation:
    return Rotation(
        id=row["id"], holder=row["holder"], requested_by=row["requested_by"],
        iam_user=row["iam_user"], state=RotationState(row["state"]),
        started_at=from_iso(row["started_at"]), keys_before=tuple(json.loads(row["keys_before"])),
        old_key_id=row["old_key_id"], new_key_id=row["new_key_id"],
        new_key_created=_precise(row["new_key_created"]), request_id=row["request_id"],
        owner=row["owner"], dm_channel=row["dm_channel"], dm_ts=row["dm_ts"],
        secret_shown=bool(row["secret_shown"]), deactivate_at=from_iso(row["deactivate_at"]),
        delete_at=from_iso(row["delete_at"]), warned=bool(row["warned"]),
        postponements=row["postponements"], refused_step=row["refused_step"], note=row["note"],
        warning_channel=row.get("warning_channel"), warning_ts=row.get("warning_ts"),
        reactivated_at=from_iso(row.get("reactivated_at")), account=row.get("account") or None,
    )


def _columns(fields: dict[str, Any]) -> dict[str, Any]:
    converted = {}
    for name, value in fields.items():
        if name == "new_key_created" and isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, datetime):
            value = to_iso(value)
        elif isinstance(value, bool):
            value = int(value)
        converted[name] = value
    return converted


class RotationRepository:
    """Implements the rotation store: the only place that reads or writes key rotations."""

    def __init__(self, store: Store, audit: AuditLog) -> None:
        self.store = store
        self.audit = audit

    def insert(self, *, holder: str, requested_by: str, iam_user: str, plan: RotationPlan,
               owner: str, now: datetime, request_id: int | None = None,
               account: str | None = None) -> Rotation:
        """Store a rotation in `creating`, before any key exists; refuse a second open one.

        `account`: the id of the account the IAM user is in (None: Gatehouse's own).
        """
        with self.store.transaction():
            try:
                rotation_id = self.store.insert("key_rotations", {
                    "holder": holder, "requested_by": requested_by, "request_id": request_id,
                    "iam_user": iam_user, "state": RotationState.CREATING.value, "owner": owner,
                    "keys_before": json.dumps(list(plan.keys_before)),
                    "old_key_id": plan.old_key_id, "started_at": to_iso(now),
                    "updated_at": to_iso(now), "account": account or ""})
            except UniqueViolation:  # the key_rotations_open index: one open per user
                raise RotationInProgress(
                    f"A key rotation of IAM user `{iam_user}` is already under way; "
                    "`/access list` shows where it is.") from None
            rotation = self.get(rotation_id)
            self._audit(rotation, "key.rotation_requested", requested_by, now,
                        {"keys_before": list(plan.keys_before)})
        return rotation

    def get(self, rotation_id: int) -> Rotation | None:
        row = self.store.first("key_rotations", "id = ?", [rotation_id])
        return _rotation(row) if row else None

    def move(self, rotation_id: int, to: RotationState, *, actor: str, now: datetime,
             expect: Iterable[RotationState] | None = None, action: str | None = None,
             details: dict[str, Any] | None = None, **fields: Any) -> Rotation | None:
        """Atomically move a rotation to `to` if it is still in an expected state.

        Returns the updated rotation, or None when another worker got there first.
        """
        with self.store.transaction() as conn:
            current = self.get(rotation_id)
            allowed = set(expect) if expect is not None else {current.state} if current else set()
            if current is None or current.state not in allowed:
                return None
            default = audit_action(current.state, to)
            updates = {"state": to.value, "updated_at": to_iso(now), **_columns(fields)}
            assignments = ", ".join(f"{name}=?" for name in updates)
            # SQL: the state guard and its row count make two workers move a rotation once.
            cursor = conn.execute(
                f"UPDATE key_rotations SET {assignments} WHERE id=? AND state=?",
                (*updates.values(), rotation_id, current.state.value))
            if cursor.rowcount != 1:
                return None
            moved = self.get(rotation_id)
            self._audit(moved, action or default, actor, now, details)
            return moved

    def update(self, rotation_id: int, **fields: Any) -> None:
        self.store.update("key_rotations", rotation_id, _columns(fields))

    def record(self, rotation: Rotation, action: str, actor: str, now: datetime,
               details: dict[str, Any] | None = None) -> None:
        """An audit entry about a rotation that changes no state (a warning, a deletion)."""
        self._audit(rotation, action, actor, now, details)

    def open_for(self, iam_user: str, account: str | None = None) -> Rotation | None:
        """The open rotation of `iam_user` in `account` (None: Gatehouse's own)."""
        row = self.store.first("key_rotations",
                               f"account = ? AND iam_user = ? AND state IN ({_OPEN})",
                               [account or "", iam_user])
        return _rotation(row) if row else None

    def open_of_holder(self, holder: str) -> list[Rotation]:
        rows = self.store.rows("key_rotations", f"holder = ? AND state IN ({_OPEN})", [holder],
                               order_by="id")
        return [_rotation(row) for row in rows]

    def of_request(self, request_id: int) -> Rotation | None:
        row = self.store.first("key_rotations", "request_id = ?", [request_id])
        return _rotation(row) if row else None

    def undelivered(self) -> list[Rotation]:
        states = ", ".join(f"'{state.value}'" for state in UNDELIVERED)
        rows = self.store.rows("key_rotations", f"state IN ({states})", order_by="id")
        return [_rotation(row) for row in rows]

    def _audit(self, rotation: Rotation, action: str, actor: str, now: datetime,
               details: dict[str, Any] | None) -> None:
        """Key ids only: a secret never reaches this table."""
        facts = {"rotation": rotation.id, "iam_user": rotation.iam_user,
                 "old_key_id": rotation.old_key_id, "new_key_id": rotation.new_key_id}
        if rotation.account:
            facts["account"] = rotation.account
        self.audit.append(at=now, actor=actor, action=action, request_id=rotation.request_id,
                          role=AUDIT_ROLE, subject=rotation.holder,
                          details={**facts, **(details or {})})


class KeyRequests:
    """Implements the rotation's request filer: a key rotation waiting for an admin."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo

    def file(self, *, requested_by: str, holder: str, reason: str, now: datetime,
             account: str | None = None) -> AccessRequest:
        """A key request; in another account its role reads `access-key@<account id>`."""
        role = f"{AUDIT_ROLE}@{account}" if account else AUDIT_ROLE
        try:
            return self.repo.create_request(
                kind=Kind.KEY, requester=requested_by, role=role, duration_seconds=0,
                reason=reason, approvals_required=1, now=now, target_user=holder,
                details={"account": account} if account else None)
        except DuplicateRequest as exc:
            raise AlreadyRequested(exc.existing.label) from None
