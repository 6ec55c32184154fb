"""The optional daily clean-up: assignments Gatehouse made that no live grant needs any more."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Protocol

from domain.audit import SYSTEM
from domain.identity_center import AssignmentKey
from domain.jobs import AssignmentJob, Job, JobKind
from services.identity_center import AssignmentStore
from services.identity_center_end import assignment_job_key
from services.ports import AuditLog, JobQueue, RequestStore, UnitOfWork


class CleanupRecords(AssignmentStore, Protocol):
    def made_by_gatehouse(self) -> list[AssignmentKey]: ...


class CleanupJobs(JobQueue, Protocol):
    def pending(self, kind: JobKind) -> list[Job]: ...


class AssignmentCleanup:
    """Release claims of grants that are no longer live (a crash between steps, a grant ended
    by hand in the database) and delete each assignment Gatehouse made that nothing needs;
    a standing assignment is never touched. The deletion is the usual stored job."""

    def __init__(self, *, requests: RequestStore, jobs: CleanupJobs, audit: AuditLog,
                 uow: UnitOfWork, records: CleanupRecords) -> None:
        self.requests = requests
        self.jobs = jobs
        self.audit = audit
        self.uow = uow
        self.records = records

    def clean_up(self, now: datetime) -> int:
        """Schedule the deletion of every untracked Gatehouse assignment; how many, audited."""
        waiting = {job.key for job in self.jobs.pending(JobKind.IC_UNASSIGN)}
        cleaned = 0
        for key in self.records.made_by_gatehouse():
            released = self._release(key, now, waiting)
            if released is None:
                continue
            cleaned += 1
            self.audit.append(at=now, actor=SYSTEM, action="identity_center.cleanup",
                              request_id=None, subject=key.user_id,
                              details={"account_id": key.account_id,
                                       "permission_set_arn": key.permission_set_arn,
                                       "released_grants": sorted(released)})
        return cleaned

    def _release(self, key: AssignmentKey, now: datetime,
                 waiting: set[str]) -> frozenset[int] | None:
        """The stale claims released, or None when the assignment is needed, standing, or
        already waiting for its deletion."""
        with self.uow.transaction():
            claims = self.records.claims(key)
            if claims is None or claims.standing or any(map(self._live, claims.grants)):
                return None
            if not claims.grants and assignment_job_key(key) in waiting:
                return None
            self.records.save(key, replace(claims, grants=frozenset()))
            self.jobs.schedule(JobKind.IC_UNASSIGN, now, key=assignment_job_key(key),
                               payload=AssignmentJob(key.account_id, key.permission_set_arn,
                                                     key.user_id))
        return claims.grants

    def _live(self, grant_id: int) -> bool:
        grant = self.requests.grant(grant_id)
        return grant is not None and grant.is_live
