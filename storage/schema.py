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
]
