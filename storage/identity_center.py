"""Identity Center assignments in the database: who made each, and which grants still need it."""

from __future__ import annotations

from domain.identity_center import AssignmentClaims, AssignmentKey
from storage.database import Store

_KEY = "account_id = ? AND permission_set_arn = ? AND user_id = ?"


def _params(key: AssignmentKey) -> list[str]:
    return [key.account_id, key.permission_set_arn, key.user_id]


def _key(row: dict) -> AssignmentKey:
    return AssignmentKey(row["account_id"], row["permission_set_arn"], row["user_id"])


class AssignmentRecords:
    """The reference count of each assignment: its live grants, and whether it is standing."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def claims(self, key: AssignmentKey) -> AssignmentClaims | None:
        """Gatehouse's record of the assignment, or None when it holds none."""
        row = self.store.first("identity_center_assignments", _KEY, _params(key))
        if row is None:
            return None
        held = self.store.rows("identity_center_grants", _KEY + " AND released = 0",
                               _params(key), select="grant_id")
        return AssignmentClaims(key=key, standing=bool(row["standing"]),
                                grants=frozenset(r["grant_id"] for r in held))

    def save(self, key: AssignmentKey, claims: AssignmentClaims | None) -> None:
        """Store the record (None: forget it); grants not in it are released."""
        with self.store.transaction() as conn:
            if claims is None:
                conn.execute(f"DELETE FROM identity_center_assignments WHERE {_KEY}",
                             _params(key))
                conn.execute(f"UPDATE identity_center_grants SET released = 1 WHERE {_KEY}",
                             _params(key))
                return
            conn.execute(
                "INSERT INTO identity_center_assignments (account_id, permission_set_arn, "
                "user_id, standing) VALUES (?, ?, ?, ?) ON CONFLICT (account_id, "
                "permission_set_arn, user_id) DO UPDATE SET standing = excluded.standing",
                [*_params(key), int(claims.standing)])
            conn.execute(f"UPDATE identity_center_grants SET released = 1 WHERE {_KEY}",
                         _params(key))
            for grant_id in claims.grants:
                conn.execute(
                    "INSERT INTO identity_center_grants (grant_id, account_id, "
                    "permission_set_arn, user_id, released) VALUES (?, ?, ?, ?, 0) "
                    "ON CONFLICT (grant_id) DO UPDATE SET released = 0",
                    [grant_id, *_params(key)])

    def key_of(self, grant_id: int) -> AssignmentKey | None:
        """The assignment a grant was given, or None for a grant that is not one."""
        row = self.store.first("identity_center_grants", "grant_id = ?", [grant_id])
        return _key(row) if row else None

    def made_by_gatehouse(self) -> list[AssignmentKey]:
        """Assignments Gatehouse created (held by a grant, or waiting to be deleted)."""
        rows = self.store.rows("identity_center_assignments", "standing = 0")
        return [_key(row) for row in rows]
