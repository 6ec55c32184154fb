"""Schema migrations by name, applied in order at start; never change what one creates.

Each feature appends its own named migration at the end of MIGRATIONS. A step is a
sqlite-utils call on the database where it can say the shape (plain tables, added columns),
or SQL where it cannot: AUTOINCREMENT ids (never reused, so the audit chain and request
numbers never repeat), table-level UNIQUE constraints, partial indexes and triggers.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

Step = str | Callable[[Database], object]


def _digest_findings(db: Database) -> None:
    db.table("digest_findings").create(
        {"digest_id": int, "fid": str, "key": str, "check_id": str, "severity": str,
         "title": str, "acknowledged": int},
        pk=("digest_id", "key"), foreign_keys=[("digest_id", "digests", "id")],
        not_null={"digest_id", "fid", "key", "check_id", "severity", "title", "acknowledged"},
        defaults={"acknowledged": 0})
    db.table("digest_findings").create_index(["fid", "digest_id"],
                                             index_name="digest_findings_by_fid")


def _finding_acks(db: Database) -> None:
    db.table("finding_acks").create(
        {"key": str, "until": str, "by": str, "at": str, "note": str}, pk="key",
        not_null={"until", "by", "at", "note"}, defaults={"note": ""})


def _digest_days(db: Database) -> None:
    db.table("digest_days").create({"day": str, "claimed_at": str, "digest_id": int},
                                   pk="day", not_null={"claimed_at"})


def _key_mappings(db: Database) -> None:
    db.table("key_mappings").create(
        {"slack_user": str, "iam_user": str, "iam_user_id": str, "recorded_at": str},
        pk="slack_user", not_null={"iam_user", "iam_user_id", "recorded_at"},
        defaults={"iam_user_id": ""})


def _rotation_warning_columns(db: Database) -> None:
    rotations = db.table("key_rotations")
    for column in ("warning_channel", "warning_ts", "reactivated_at"):
        rotations.add_column(column, str)


def _grant_warning_columns(db: Database) -> None:
    grants = db.table("grants")
    for column in ("warning_channel", "warning_ts"):
        grants.add_column(column, str)


MIGRATIONS: list[tuple[str, list[Step]]] = [
    ("001-requests-grants-jobs-audit", [
        """CREATE TABLE requests (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            requester TEXT NOT NULL,
            role TEXT NOT NULL,
            duration_seconds INTEGER NOT NULL,
            reason TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            approvals_required INTEGER NOT NULL DEFAULT 1,
            channel TEXT,
            message_ts TEXT,
            parent_id INTEGER REFERENCES requests(id),
            grant_id INTEGER,
            decided_by TEXT,
            decided_at TEXT,
            note TEXT,
            target_user TEXT
        )""",
        "CREATE INDEX requests_by_requester ON requests (requester, status)",
        "CREATE INDEX requests_by_status ON requests (status)",
        """CREATE TABLE votes (
            request_id INTEGER NOT NULL REFERENCES requests(id),
            approver TEXT NOT NULL,
            decision TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (request_id, approver)
        )""",
        """CREATE TABLE grants (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            request_id INTEGER NOT NULL REFERENCES requests(id),
            requester TEXT NOT NULL,
            role TEXT NOT NULL,
            role_arn TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ends_at TEXT NOT NULL,
            source_identity TEXT NOT NULL,
            session_name TEXT NOT NULL,
            delivered INTEGER NOT NULL DEFAULT 0,
            dm_channel TEXT,
            dm_ts TEXT,
            ended_at TEXT,
            end_status TEXT
        )""",
        "CREATE INDEX grants_live ON grants (ended_at, ends_at)",
        """CREATE TABLE jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            action TEXT NOT NULL,
            due_at TEXT NOT NULL,
            request_id INTEGER,
            grant_id INTEGER,
            key TEXT NOT NULL DEFAULT '',
            payload TEXT NOT NULL DEFAULT '{}',
            claimed_at TEXT,
            done_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            UNIQUE (action, key)
        )""",
        "CREATE INDEX jobs_due ON jobs (done_at, due_at)",
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            request_id INTEGER,
            role TEXT,
            subject TEXT,
            details TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )""",
        "CREATE INDEX audit_at ON audit (at)",
        "CREATE INDEX audit_subject ON audit (subject, at)",
        "CREATE INDEX audit_role ON audit (role, at)",
        """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
           BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
        """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
           BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    ]),
    ("003-digest", [
        """CREATE TABLE digests (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at TEXT NOT NULL,
            day TEXT NOT NULL,
            account_id TEXT NOT NULL DEFAULT '',
            trigger TEXT NOT NULL,
            channel TEXT,
            message_ts TEXT,
            open_count INTEGER NOT NULL,
            summary TEXT NOT NULL DEFAULT '{}',
            denied TEXT NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX digests_by_time ON digests (created_at)",
        _digest_findings,
        _finding_acks,
        _digest_days,
    ]),
    ("002-key-rotations", [
        """CREATE TABLE key_rotations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            holder TEXT NOT NULL,
            requested_by TEXT NOT NULL,
            request_id INTEGER REFERENCES requests(id),
            iam_user TEXT NOT NULL,
            state TEXT NOT NULL,
            owner TEXT NOT NULL DEFAULT '',
            keys_before TEXT NOT NULL DEFAULT '[]',
            old_key_id TEXT,
            new_key_id TEXT,
            new_key_created TEXT,
            dm_channel TEXT,
            dm_ts TEXT,
            secret_shown INTEGER NOT NULL DEFAULT 0,
            deactivate_at TEXT,
            delete_at TEXT,
            warned INTEGER NOT NULL DEFAULT 0,
            postponements INTEGER NOT NULL DEFAULT 0,
            refused_step TEXT,
            note TEXT,
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        # One open rotation per IAM user: a second command cannot create a third key.
        """CREATE UNIQUE INDEX key_rotations_open ON key_rotations (iam_user)
           WHERE state IN ('creating', 'created', 'delivered', 'deactivated')""",
        """CREATE UNIQUE INDEX key_rotations_request ON key_rotations (request_id)
           WHERE request_id IS NOT NULL""",
        "CREATE INDEX key_rotations_holder ON key_rotations (holder, state)",
    ]),
    ("004-audit-actor-index", [
        "CREATE INDEX audit_actor ON audit (actor, at)",
    ]),
    ("005-key-mappings", [
        # Which IAM user each Slack user's keys belong to, as first seen; a change waits for
        # an admin (key_mapping_changes), so editing a tag alone never moves it.
        _key_mappings,
        """CREATE TABLE key_mapping_changes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            slack_user TEXT NOT NULL,
            old_iam_user TEXT,
            new_iam_user TEXT NOT NULL,
            new_iam_user_id TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,
            requested_at TEXT NOT NULL,
            decided_by TEXT,
            decided_at TEXT,
            channel TEXT,
            message_ts TEXT
        )""",
        """CREATE UNIQUE INDEX key_mapping_changes_pending ON key_mapping_changes (slack_user)
           WHERE status = 'pending'""",
        _rotation_warning_columns,
    ]),
    # The pre-expiry warning DM, so its Extend button goes once the grant moves on.
    ("006-grant-warning", [_grant_warning_columns]),
    # A digest that could read no source is kept (it was posted) but is no baseline: neither
    # "new since yesterday" nor the trend compares with it.
    ("007-digest-nothing-read", [
        "ALTER TABLE digests ADD COLUMN nothing_read INTEGER NOT NULL DEFAULT 0",
    ]),
    # Key rotation across accounts: each rotation and mapping names the account of its IAM
    # user ('' is Gatehouse's own account); one open rotation per IAM user per account, and
    # a Slack user may be mapped to one IAM user in each account.
    ("008-key-rotation-accounts", [
        "ALTER TABLE key_rotations ADD COLUMN account TEXT NOT NULL DEFAULT ''",
        "DROP INDEX key_rotations_open",
        """CREATE UNIQUE INDEX key_rotations_open ON key_rotations (account, iam_user)
           WHERE state IN ('creating', 'created', 'delivered', 'deactivated')""",
        "ALTER TABLE key_mapping_changes ADD COLUMN account TEXT NOT NULL DEFAULT ''",
        "DROP INDEX key_mapping_changes_pending",
        """CREATE UNIQUE INDEX key_mapping_changes_pending
           ON key_mapping_changes (slack_user, account) WHERE status = 'pending'""",
        "ALTER TABLE key_mappings RENAME TO key_mappings_one_account",
        """CREATE TABLE key_mappings (
            slack_user TEXT NOT NULL,
            account TEXT NOT NULL DEFAULT '',
            iam_user TEXT NOT NULL,
            iam_user_id TEXT NOT NULL DEFAULT '',
            recorded_at TEXT NOT NULL,
            CONSTRAINT key_mappings_per_account PRIMARY KEY (slack_user, account)
        )""",
        """INSERT INTO key_mappings (slack_user, account, iam_user, iam_user_id, recorded_at)
           SELECT slack_user, '', iam_user, iam_user_id, recorded_at
           FROM key_mappings_one_account""",
        "DROP TABLE key_mappings_one_account",
    ]),
    # IAM Identity Center: which account assignments Gatehouse made, and which of its grants
    # still need each one (an assignment goes when the last does; standing ones never).
    ("009-identity-center-assignments", [
        """CREATE TABLE identity_center_assignments (
            account_id TEXT NOT NULL,
            permission_set_arn TEXT NOT NULL,
            user_id TEXT NOT NULL,
            standing INTEGER NOT NULL,
            PRIMARY KEY (account_id, permission_set_arn, user_id)
        )""",
        """CREATE TABLE identity_center_grants (
            grant_id INTEGER PRIMARY KEY REFERENCES grants(id),
            account_id TEXT NOT NULL,
            permission_set_arn TEXT NOT NULL,
            user_id TEXT NOT NULL,
            released INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE INDEX identity_center_grants_by_assignment
           ON identity_center_grants (account_id, permission_set_arn, user_id, released)""",
    ]),
    # A scheduled start (`/access request … at YYYY-MM-DD HH:MM`), and each break-glass use
    # with its review: the weekly limit counts these rows, the review is one guarded update.
    ("010-scheduled-starts", [
        "ALTER TABLE requests ADD COLUMN starts_at TEXT",
        """CREATE TABLE break_glass (
            request_id INTEGER PRIMARY KEY REFERENCES requests(id),
            requester TEXT NOT NULL,
            role TEXT NOT NULL,
            used_at TEXT NOT NULL,
            review_channel TEXT,
            review_ts TEXT,
            verdict TEXT,
            reviewed_by TEXT,
            reviewed_at TEXT
        )""",
        "CREATE INDEX break_glass_by_requester ON break_glass (requester, role, used_at)",
    ]),
]
