"""How a permission-set grant ends: the assignment goes with its last grant, and a revoke also
ends the sessions already open (a deny on the permission set, lifted once none can remain)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from domain.audit import SYSTEM
from domain.errors import AwsError
from domain.identity_center import AssignmentKey, after_deletion, deny_lift_at, end_grant
from domain.jobs import AssignmentJob, Job, JobKind, SessionDenyJob
from domain.requests import Grant, Status
from domain.text import iso_time
from services.access_rules import require_request
from services.identity_center import IdentityCenterParts
from services.revocation import deny_cutoff

log = logging.getLogger("gatehouse.identity_center")
JobHandler = Callable[[Job, datetime], None]


def assignment_job_key(key: AssignmentKey) -> str:
    return f"assignment:{key.account_id}:{key.permission_set_arn}:{key.user_id}"


class AssignmentEndings(IdentityCenterParts):
    """Release a grant's claim on its assignment, delete it when no grant needs it, and on
    revoke end the holder's open sessions; every step is a stored job, safe to run twice."""


    def on_end(self, grant: Grant, status: Status, now: datetime) -> None:
        """Inside the transaction that ends the grant: release its claim, store what follows."""
        key = self.records.key_of(grant.id)
        if key is None:
            return
        end = end_grant(self.records.claims(key), grant.id)
        self.records.save(key, end.claims)
        if end.delete:
            self.jobs.schedule(JobKind.IC_UNASSIGN, now, key=assignment_job_key(key),
                               grant_id=grant.id, payload=AssignmentJob(
                                   key.account_id, key.permission_set_arn, key.user_id))
        if status is Status.REVOKED:
            self.jobs.schedule(JobKind.IC_SESSION_DENY, now, key=f"grant:{grant.id}",
                               grant_id=grant.id, payload=SessionDenyJob(
                                   key.permission_set_arn, key.user_id, deny_cutoff(now)))

    def after_end(self, grant: Grant, status: Status, now: datetime) -> None:
        """After that transaction: do the stored steps now; the sweep retries what fails."""
        key = self.records.key_of(grant.id)
        if key is None:
            return
        for job in self.jobs.pending(JobKind.IC_UNASSIGN):
            if job.key == assignment_job_key(key):
                self._try(self.unassign, job, now)
        for job in self.jobs.pending(JobKind.IC_SESSION_DENY):
            if job.grant_id == grant.id and not self._try(self.session_deny, job, now):
                self._tell_deny_refused(grant)

    def _try(self, step: JobHandler, job: Job, now: datetime) -> bool:
        try:
            step(job, now)
        except AwsError as exc:
            log.warning("Identity Center step refused; the sweep retries it",
                        extra={"action": job.action, "error": str(exc)})
            return False
        return True

    def job_handlers(self) -> dict[JobKind, JobHandler]:
        """The stored job kinds of Identity Center grants, for the wiring's job table."""
        return {JobKind.IC_UNASSIGN: self.unassign, JobKind.IC_SESSION_DENY: self.session_deny,
                JobKind.IC_LIFT_DENY: self.lift_deny}

    # --- the stored steps -------------------------------------------------------------------

    def unassign(self, job: Job, now: datetime) -> None:
        """Delete an assignment no grant needs; a grant that claimed it meanwhile gets it back."""
        data = AssignmentJob.from_dict(job.payload)
        key = AssignmentKey(data.account_id, data.permission_set_arn, data.user_id)
        claims = self.records.claims(key)
        if claims is not None and not claims.may_delete():
            self.jobs.cancel(JobKind.IC_UNASSIGN, job.key, now)
            return
        self.center.unassign(key)
        with self.uow.transaction():
            again = after_deletion(self.records.claims(key))
            self.records.save(key, again.claims if again else None)
            self.jobs.cancel(JobKind.IC_UNASSIGN, job.key, now)
        if again is not None:
            self.center.assign(key)
        self.audit.append(at=now, actor=SYSTEM, action="identity_center.unassigned",
                          request_id=None, subject=key.user_id,
                          details={**data.to_dict(), "assigned_again": again is not None})

    def session_deny(self, job: Job, now: datetime) -> None:
        """End the holder's open sessions of the permission set, and store when to lift it."""
        data = SessionDenyJob.from_dict(job.payload)
        deny = self.center.put_session_deny(data.permission_set_arn, data.user_id, data.cutoff())
        found = self.center.permission_set(data.permission_set_arn)
        seconds = found.session_seconds if found else 12 * 3600
        lift = SessionDenyJob(data.permission_set_arn, data.user_id, iso_time(deny.issued_before))
        with self.uow.transaction():
            self.jobs.cancel(JobKind.IC_SESSION_DENY, job.key, now)
            self.jobs.schedule(JobKind.IC_LIFT_DENY, deny_lift_at(deny.issued_before, seconds),
                               key=job.key, grant_id=job.grant_id, payload=lift)
        grant = self.requests.grant(job.grant_id) if job.grant_id else None
        self.audit.append(at=now, actor=SYSTEM, action="grant.session_deny_attached",
                          request_id=grant.request_id if grant else None,
                          role=grant.role if grant else None, subject=data.user_id,
                          details={**lift.to_dict(), "session_seconds": seconds})

    def lift_deny(self, job: Job, now: datetime) -> None:
        """Remove the deny once no session it targets can be alive; a later one stays."""
        data = SessionDenyJob.from_dict(job.payload)
        removed = self.center.remove_session_deny(data.permission_set_arn, data.user_id,
                                                  data.cutoff())
        self.audit.append(at=now, actor=SYSTEM, action="grant.session_deny_removed",
                          request_id=None, subject=data.user_id,
                          details={**data.to_dict(), "removed": removed})

    def _tell_deny_refused(self, grant: Grant) -> None:
        request = require_request(self.requests, grant.request_id)
        text = (f":rotating_light: The revoke of {request.label} ({grant.role}, held by "
                f"<@{grant.requester}>) is not complete: the assignment is being removed, but "
                "AWS refused the deny that ends the sessions already open. Gatehouse keeps "
                "retrying.")
        self.slack.thread(request, text)
        for person in {grant.requester, *self.config.admins}:
            self.slack.dm(person, text)
