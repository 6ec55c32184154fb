"""Scheduled actions with wall-clock due times, so a restart loses and repeats nothing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from domain.jobs import Job, JobKind, JobPayload, payload_dict
from storage.database import Store, from_iso, to_iso

LEASE = timedelta(minutes=5)


class JobQueue:
    """A job is claimed with a lease before it runs and marked done after.

    A crash while running leaves the lease to lapse and the job runs again, so every
    action must be safe to repeat; those that must happen at most once finish first.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def schedule(self, kind: JobKind, due_at: datetime, *, key: str,
                 request_id: int | None = None, grant_id: int | None = None,
                 payload: JobPayload | dict[str, Any] | None = None) -> None:
        """Add a job, or move an unfinished one with the same kind and key to `due_at`."""
        # SQL: an upsert on the (action, key) constraint that also clears the lease and the
        # done mark, which sqlite-utils' upsert (by primary key) cannot say.
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO jobs (action, due_at, key, request_id, grant_id, payload)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT (action, key) DO UPDATE SET"
                " due_at=excluded.due_at, payload=excluded.payload, done_at=NULL,"
                " claimed_at=NULL, attempts=0",
                (str(kind), to_iso(due_at), key, request_id, grant_id,
                 json.dumps(payload_dict(kind, payload))),
            )

    def cancel(self, kind: JobKind, key: str, now: datetime) -> None:
        # SQL: a guarded update by (action, key) that leaves finished jobs as they were.
        self.store.execute("UPDATE jobs SET done_at=? WHERE action=? AND key=? AND done_at IS NULL",
                           (to_iso(now), str(kind), key))

    def due(self, now: datetime, limit: int = 200) -> list[Job]:
        # SQL: walks the jobs_due (done_at, due_at) index and skips jobs under a live lease.
        rows = self.store.query(
            "SELECT * FROM jobs WHERE done_at IS NULL AND due_at <= ?"
            " AND (claimed_at IS NULL OR claimed_at <= ?) ORDER BY due_at, id LIMIT ?",
            (to_iso(now), to_iso(now - LEASE), limit),
        )
        return [_job(row) for row in rows]

    def claim(self, job: Job, now: datetime) -> bool:
        """Take the job for this worker; False when another worker holds it."""
        # SQL: the lease is one guarded update, checked by its row count. On PostgreSQL the
        # sub-select locks the row FOR UPDATE SKIP LOCKED: a replica claiming the same job
        # at the same moment passes over it instead of waiting.
        cursor = self.store.execute(
            "UPDATE jobs SET claimed_at=?, attempts=attempts+1 WHERE id = (SELECT id FROM jobs"
            " WHERE id=? AND done_at IS NULL AND due_at <= ? AND (claimed_at IS NULL OR"
            f" claimed_at <= ?){self.store.skip_locked})",
            (to_iso(now), job.id, to_iso(now), to_iso(now - LEASE)),
        )
        return cursor.rowcount == 1

    def finish(self, job: Job, now: datetime) -> None:
        """Mark the claimed job done, unless it was scheduled anew while it ran."""
        # SQL: guarded by the claim, which `schedule` clears when it moves the job.
        self.store.execute("UPDATE jobs SET done_at=? WHERE id=? AND claimed_at IS NOT NULL",
                           (to_iso(now), job.id))

    def retry(self, job: Job, now: datetime, error: str, delay: timedelta) -> None:
        self.store.update("jobs", job.id, {"claimed_at": None, "due_at": to_iso(now + delay),
                                           "last_error": error[:500]})

    def pending(self, kind: JobKind | None = None) -> list[Job]:
        where, params = ("done_at IS NULL AND action = ?", [str(kind)]) if kind else (
            "done_at IS NULL", [])
        rows = self.store.rows("jobs", where, params, order_by="due_at")
        return [_job(row) for row in rows]

    def oldest_due(self, now: datetime) -> datetime | None:
        """The due time of the oldest job that is due and free to claim, or None."""
        row = self.store.query_one(
            "SELECT MIN(due_at) AS due_at FROM jobs WHERE done_at IS NULL AND due_at <= ?"
            " AND (claimed_at IS NULL OR claimed_at <= ?)", (to_iso(now), to_iso(now - LEASE)))
        return from_iso(row["due_at"]) if row else None


def _job(row: dict[str, Any]) -> Job:
    return Job(id=row["id"], action=row["action"], due_at=from_iso(row["due_at"]), key=row["key"],
               request_id=row["request_id"], grant_id=row["grant_id"],
               payload=json.loads(row["payload"]), attempts=row["attempts"])
