"""Which IAM user each Slack user's keys belong to, and the changes waiting for an admin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.iam import IamUser
from domain.rotation import AUDIT_ROLE, KeyMapping, MappingChange, MappingStatus
from storage.audit import AuditLog
from storage.database import Store, UniqueViolation, from_iso, to_iso


def _mapping(row: dict[str, Any]) -> KeyMapping:
    return KeyMapping(slack_user=row["slack_user"], iam_user=row["iam_user"],
                      iam_user_id=row["iam_user_id"], recorded_at=from_iso(row["recorded_at"]))


def _in(account: str | None) -> str:
    """The stored form of an account: its id, or '' for Gatehouse's own."""
    return account or ""


def _change(row: dict[str, Any]) -> MappingChange:
    return MappingChange(
        id=row["id"], slack_user=row["slack_user"], old_iam_user=row["old_iam_user"],
        new_iam_user=row["new_iam_user"], new_iam_user_id=row["new_iam_user_id"],
        status=MappingStatus(row["status"]), requested_at=from_iso(row["requested_at"]),
        decided_by=row["decided_by"], decided_at=from_iso(row["decided_at"]),
        channel=row["channel"], message_ts=row["message_ts"],
        account=row.get("account") or None)


class KeyMappingRepository:
    """Implements the rotation's mapping store; every change of a mapping is audited.

    Mappings are kept per account (`account`: an account id, None for Gatehouse's own).
    """

    def __init__(self, store: Store, audit: AuditLog) -> None:
        self.store = store
        self.audit = audit

    def get(self, slack_user: str, account: str | None = None) -> KeyMapping | None:
        row = self.store.first("key_mappings", "slack_user = ? AND account = ?",
                               [slack_user, _in(account)])
        return _mapping(row) if row else None

    def holder_of(self, iam_user: str, account: str | None = None) -> str | None:
        """The Slack user whose keys `iam_user` holds, if one is recorded."""
        row = self.store.first("key_mappings", "iam_user = ? AND account = ?",
                               [iam_user, _in(account)])
        return row["slack_user"] if row else None

    def record(self, slack_user: str, user: IamUser, actor: str, now: datetime,
               account: str | None = None) -> KeyMapping:
        """The first mapping of `slack_user`, as seen on the tag (key.mapping_recorded); one
        recorded meanwhile by a simultaneous command is kept and returned instead."""
        with self.store.transaction():
            mapping = {"slack_user": slack_user, "account": _in(account), "iam_user": user.name,
                       "iam_user_id": user.user_id, "recorded_at": to_iso(now)}
            if self.store.insert("key_mappings", mapping, ignore=True) is not None:
                self._audit(slack_user, "key.mapping_recorded", actor, now,
                            {"iam_user": user.name, "iam_user_id": user.user_id}, account)
            return self.get(slack_user, account)

    def pending(self, slack_user: str, account: str | None = None) -> MappingChange | None:
        row = self.store.first("key_mapping_changes",
                               "slack_user = ? AND account = ? AND status = 'pending'",
                               [slack_user, _in(account)])
        return _change(row) if row else None

    def last_decided(self, slack_user: str, user: IamUser,
                     account: str | None = None) -> MappingChange | None:
        """The latest decided change of `slack_user` to this very IAM user."""
        row = self.store.first(
            "key_mapping_changes",
            "slack_user = ? AND account = ? AND new_iam_user = ? AND new_iam_user_id = ? "
            "AND status != 'pending'",
            [slack_user, _in(account), user.name, user.user_id], order_by="id DESC")
        return _change(row) if row else None

    def change(self, change_id: int) -> MappingChange | None:
        row = self.store.first("key_mapping_changes", "id = ?", [change_id])
        return _change(row) if row else None

    def request_change(self, slack_user: str, old: str | None, new: IamUser, actor: str,
                       now: datetime, account: str | None = None) -> MappingChange | None:
        """Store a pending change (key.mapping_change_requested); None if one is pending."""
        with self.store.transaction():
            try:
                change_id = self.store.insert("key_mapping_changes", {
                    "slack_user": slack_user, "old_iam_user": old, "new_iam_user": new.name,
                    "new_iam_user_id": new.user_id, "status": MappingStatus.PENDING.value,
                    "requested_at": to_iso(now), "account": _in(account)})
            except UniqueViolation:  # key_mapping_changes_pending: one pending a user
                return None
            self._audit(slack_user, "key.mapping_change_requested", actor, now,
                        {"change": change_id, "old_iam_user": old,
                         "new_iam_user": new.name, "new_iam_user_id": new.user_id,
                         "admin_via": list(new.admin_via)}, account)
            return self.change(change_id)

    def set_message(self, change_id: int, channel: str, ts: str) -> None:
        self.store.update("key_mapping_changes", change_id, {"channel": channel, "message_ts": ts})

    def decide(self, change_id: int, approved: bool, admin: str,
               now: datetime) -> MappingChange | None:
        """Approve (the mapping moves: key.mapping_changed) or deny (key.mapping_refused) a
        pending change, once; None when it was no longer pending."""
        status = MappingStatus.APPROVED if approved else MappingStatus.DENIED
        with self.store.transaction() as conn:
            # SQL: guarded by `status='pending'` and checked by row count: decided once.
            cursor = conn.execute(
                "UPDATE key_mapping_changes SET status=?, decided_by=?, decided_at=? "
                "WHERE id=? AND status='pending'", (status.value, admin, to_iso(now), change_id))
            if cursor.rowcount != 1:
                return None
            change = self.change(change_id)
            if approved:
                conn.execute("DELETE FROM key_mappings WHERE account=? AND "
                             "(slack_user=? OR iam_user=?)",
                             (_in(change.account), change.slack_user, change.new_iam_user))
                self.store.insert("key_mappings", {
                    "slack_user": change.slack_user, "account": _in(change.account),
                    "iam_user": change.new_iam_user,
                    "iam_user_id": change.new_iam_user_id, "recorded_at": to_iso(now)})
            action = "key.mapping_changed" if approved else "key.mapping_refused"
            self._audit(change.slack_user, action, admin, now,
                        {"change": change.id, "old_iam_user": change.old_iam_user,
                         "new_iam_user": change.new_iam_user}, change.account)
        return change

    def _audit(self, slack_user: str, action: str, actor: str, now: datetime,
               details: dict[str, Any], account: str | None = None) -> None:
        where = {"account": account} if account else {}
        self.audit.append(at=now, actor=actor, action=action, role=AUDIT_ROLE,
                          subject=slack_user, details={**details, **where})
