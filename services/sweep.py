"""The sweep: run every stored job that is due, once, whatever restarts came between."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from domain.audit import SYSTEM
from domain.jobs import Job, JobKind, RemoveDenyJob, RevokeDenyJob, ScrubDmJob
from domain.requests import AccessRequest, Status
from services.access import AccessService
from services.access_rules import AccessRules, require_request
from services.breakglass import BreakGlassService
from services.grants import GrantService
from services.ports import AuditLog, AwsPort, JobQueue, RequestStore, SlackPort

log = logging.getLogger("gatehouse.sweep")
MAX_BACKOFF = timedelta(minutes=30)

JobHandler = Callable[[Job, datetime], None]


class Sweeper:
    """Runs due jobs through the handler table (every kind and its handler: `job_table`)."""

    def __init__(self, jobs: JobQueue, handlers: Mapping[JobKind, JobHandler]) -> None:
        self.jobs = jobs
        self.handlers = dict(handlers)

    def sweep(self, now: datetime) -> int:
        """Run due jobs; return how many ran. Safe to call twice or after a crash."""
        ran = 0
        for job in self.jobs.due(now):
            if self.jobs.claim(job, now):
                self._run(job, now)
                ran += 1
        return ran

    def _run(self, job: Job, now: datetime) -> None:
        kind = job.kind
        handler = self.handlers.get(kind) if kind is not None else None
        if kind is None or handler is None:
            log.error("no handler for job", extra={"action": job.action, "job": job.id})
            return
        if kind.at_most_once:  # it notifies people: marked done first, never run twice
            self.jobs.finish(job, now)
        try:
            handler(job, now)
        except Exception as exc:  # one failing job must not stop the others
            delay = min(timedelta(seconds=30 * 2 ** min(job.attempts, 10)), MAX_BACKOFF)
            log.warning("job failed; will retry", extra={"action": job.action, "job": job.id,
                                                         "error": str(exc)})
            if not kind.at_most_once:
                self.jobs.retry(job, now, str(exc), delay)
            return
        self.jobs.finish(job, now)


class AccessJobs:
    """The access flow's stored jobs: activations, expiries, reminders, denies, DM scrubs."""

    def __init__(self, *, requests: RequestStore, jobs: JobQueue, audit: AuditLog,
                 slack: SlackPort, aws: AwsPort, rules: AccessRules,
                 grants: GrantService, access: AccessService,
                 breakglass: BreakGlassService) -> None:
        self.requests = requests
        self.jobs = jobs
        self.audit = audit
        self.slack = slack
        self.aws = aws
        self.rules = rules
        self.grants = grants
        self.access = access
        self.breakglass = breakglass

    def _request(self, request_id: int) -> AccessRequest:
        return require_request(self.requests, request_id)

    def activate(self, job: Job, now: datetime) -> None:
        self.grants.activate(job.request_id, now)

    def breakglass_remind(self, job: Job, now: datetime) -> None:
        self.breakglass.remind(job, now)

    def announce(self, job: Job, now: datetime) -> None:
        self.access.announce_late(job.request_id, now)

    def expire_pending(self, job: Job, now: datetime) -> None:
        moved = self.requests.move(job.request_id, Status.EXPIRED, actor=SYSTEM, now=now,
                                   expect=[Status.PENDING])
        if moved is None:
            return
        self.jobs.cancel(JobKind.REMIND, f"request:{moved.id}", now)
        self.slack.thread(moved, "Expired: nobody decided in time.")
        self.slack.refresh_request(moved, self.requests.approvers_of(moved.id))
        self.slack.dm(moved.requester, f"{moved.label} ({moved.role}) expired before anyone "
                                           "decided. Ask again if you still need it.")
        self.slack.home_changed({moved.requester, *self.rules.decision_makers(moved)})

    def remind(self, job: Job, now: datetime) -> None:
        request = self.requests.get(job.request_id)
        if request is None or request.status is not Status.PENDING:
            return
        voted = set(self.requests.approvers_of(request.id))
        waiting = [p for p in self.rules.decision_makers(request) if p not in voted]
        self.slack.remind(request, waiting)
        self.audit.append(at=now, actor=SYSTEM, action="request.reminded",
                              request_id=request.id, role=request.role,
                              subject=request.requester, details={"approvers": waiting})

    def expire_grant(self, job: Job, now: datetime) -> None:
        grant = self.requests.grant(job.grant_id)
        if grant is None or not grant.is_live:
            return
        if grant.ends_at > now:  # moved by an extension; the job was rescheduled
            return
        self.grants.end(grant, Status.EXPIRED, actor=SYSTEM, now=now)

    def warn_expiry(self, job: Job, now: datetime) -> None:
        grant = self.requests.grant(job.grant_id)
        if grant is None or not grant.is_live or grant.ends_at <= now:
            return
        channel, ts = self.slack.warn_expiry(grant, self._request(grant.request_id))
        self.requests.update_grant(grant.id, warning_channel=channel, warning_ts=ts)

    def check_delivery(self, job: Job, now: datetime) -> None:
        """A grant whose credentials never reached the requester is closed and denied."""
        grant = self.requests.grant(job.grant_id)
        if grant is None or not grant.is_live or grant.delivered:
            return
        why = ("Gatehouse stopped while issuing the credentials, so they were never delivered; "
               "the request is closed. Ask again.")
        if self.grants.end(grant, Status.FAILED, actor=SYSTEM, now=now, why=why, deny=True):
            self.slack.dm(grant.requester, f"R-{grant.request_id} ({grant.role}): {why}")

    def revoke_deny(self, job: Job, now: datetime) -> None:
        grant = self.requests.grant(job.grant_id)
        if grant is not None:
            cutoff = RevokeDenyJob.from_dict(job.payload).issued_before
            self.grants.run_revoke_deny(grant, cutoff, now, retried=True)

    def scrub_dm(self, job: Job, now: datetime) -> None:
        self.grants.run_scrub(job.grant_id, ScrubDmJob.from_dict(job.payload).ended, now)

    def remove_deny(self, job: Job, now: datetime) -> None:
        deny = RemoveDenyJob.from_dict(job.payload)
        removed = self.aws.remove_revoke_deny(role_arn=deny.role_arn,
                                              policy_name=deny.policy_name,
                                              issued_before=deny.cutoff())
        self.audit.append(at=now, actor=SYSTEM, action="grant.deny_removed",
                              request_id=None, details={**job.payload, "removed": removed})
