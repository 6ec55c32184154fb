"""Schema migrations by name, applied in order at start; never edit one that has shipped.

Each feature appends its own named migration at the end of MIGRATIONS.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[str, list[str]]] = [
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
        """CREATE TABLE digest_findings (
            digest_id INTEGER NOT NULL REFERENCES digests(id),
            fid TEXT NOT NULL,
            key TEXT NOT NULL,
            check_id TEXT NOT NULL,
            severity TEXT NOT NULL,
            title TEXT NOT NULL,
            acknowledged INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (digest_id, key)
        )""",
        "CREATE INDEX digest_findings_by_fid ON digest_findings (fid, digest_id)",
        """CREATE TABLE finding_acks (
            key TEXT PRIMARY KEY,
            until TEXT NOT NULL,
            by TEXT NOT NULL,
            at TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT ''
        )""",
        """CREATE TABLE digest_days (
            day TEXT PRIMARY KEY,
            claimed_at TEXT NOT NULL,
            digest_id INTEGER
        )""",
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
        """CREATE TABLE key_mappings (
            slack_user TEXT PRIMARY KEY,
            iam_user TEXT NOT NULL,
            iam_user_id TEXT NOT NULL DEFAULT '',
            recorded_at TEXT NOT NULL
        )""",
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
        "ALTER TABLE key_rotations ADD COLUMN warning_channel TEXT",
        "ALTER TABLE key_rotations ADD COLUMN warning_ts TEXT",
        "ALTER TABLE key_rotations ADD COLUMN reactivated_at TEXT",
    ]),
]
