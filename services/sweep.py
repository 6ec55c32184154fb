"""The sweep: run every stored job that is due, once, whatever restarts came between."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from domain.audit import SYSTEM
from domain.jobs import Job
from domain.requests import AccessRequest, Status
from services.access_rules import AccessRules, require_request
from services.grants import GrantService
from services.ports import AuditLog, AwsPort, JobQueue, RequestStore, SlackPort

log = logging.getLogger("gatehouse.sweep")
MAX_BACKOFF = timedelta(minutes=30)
# Jobs that notify people are marked done before they run: at most once, never twice.
AT_MOST_ONCE = frozenset({"remind", "warn_expiry"})

JobHandler = Callable[[Job, datetime], None]


class Sweeper:
    def __init__(self, *, requests: RequestStore, jobs: JobQueue, audit: AuditLog,
                 slack: SlackPort, aws: AwsPort, rules: AccessRules, grants: GrantService,
                 handlers: Mapping[str, JobHandler] | None = None) -> None:
        self.requests = requests
        self.jobs = jobs
        self.audit = audit
        self.slack = slack
        self.aws = aws
        self.rules = rules
        self.grants = grants
        self.handlers: dict[str, JobHandler] = {
            "activate": self._activate,
            "expire_pending": self._expire_pending,
            "remind": self._remind,
            "expire_grant": self._expire_grant,
            "warn_expiry": self._warn_expiry,
            "check_delivery": self._check_delivery,
            "revoke_deny": self._revoke_deny,
            "scrub_dm": self._scrub_dm,
            "remove_deny": self._remove_deny,
            **(handlers or {}),
        }

    def _request(self, request_id: int) -> AccessRequest:
        return require_request(self.requests, request_id)

    def register(self, action: str, handler: JobHandler) -> None:
        """Let another use case (key rotation, the digest) add its own jobs."""
        self.handlers[action] = handler

    def sweep(self, now: datetime) -> int:
        """Run due jobs; return how many ran. Safe to call twice or after a crash."""
        ran = 0
        for job in self.jobs.due(now):
            if self.jobs.claim(job, now):
                self._run(job, now)
                ran += 1
        return ran

    def _run(self, job: Job, now: datetime) -> None:
        handler = self.handlers.get(job.action)
        if handler is None:
            log.error("no handler for job", extra={"action": job.action, "job": job.id})
            return
        if job.action in AT_MOST_ONCE:
            self.jobs.finish(job, now)
        try:
            handler(job, now)
        except Exception as exc:  # one failing job must not stop the others
            delay = min(timedelta(seconds=30 * 2 ** min(job.attempts, 10)), MAX_BACKOFF)
            log.warning("job failed; will retry", extra={"action": job.action, "job": job.id,
                                                         "error": str(exc)})
            if job.action not in AT_MOST_ONCE:
                self.jobs.retry(job, now, str(exc), delay)
            return
        self.jobs.finish(job, now)

    def _activate(self, job: Job, now: datetime) -> None:
        self.grants.activate(job.request_id, now)

    def _expire_pending(self, job: Job, now: datetime) -> None:
        moved = self.requests.move(job.request_id, Status.EXPIRED, actor=SYSTEM, now=now,
                                   expect=[Status.PENDING])
        if moved is None:
            return
        self.jobs.cancel("remind", f"request:{moved.id}", now)
        self.slack.thread(moved, "Expired: nobody decided in time.")
        self.slack.refresh_request(moved, self.requests.approvers_of(moved.id))
        self.slack.dm(moved.requester, f"{moved.label} ({moved.role}) expired before anyone "
                                           "decided. Ask again if you still need it.")
        self.slack.home_changed({moved.requester, *self.rules.decision_makers(moved)})

    def _remind(self, job: Job, now: datetime) -> None:
        request = self.requests.get(job.request_id)
        if request is None or request.status is not Status.PENDING:
            return
        voted = set(self.requests.approvers_of(request.id))
        waiting = [p for p in self.rules.decision_makers(request) if p not in voted]
        self.slack.remind(request, waiting)
        self.audit.append(at=now, actor=SYSTEM, action="request.reminded",
                              request_id=request.id, role=request.role,
                              subject=request.requester, details={"approvers": waiting})

    def _expire_grant(self, job: Job, now: datetime) -> None:
        grant = self.requests.grant(job.grant_id)
        if grant is None or not grant.is_live:
            return
        if grant.ends_at > now:  # moved by an extension; the job was rescheduled
            return
        self.grants.end(grant, Status.EXPIRED, actor=SYSTEM, now=now)

    def _warn_expiry(self, job: Job, now: datetime) -> None:
        grant = self.requests.grant(job.grant_id)
        if grant is None or not grant.is_live or grant.ends_at <= now:
            return
        self.slack.warn_expiry(grant, self._request(grant.request_id))

    def _check_delivery(self, job: Job, now: datetime) -> None:
        """A grant whose credentials never reached the requester is closed and denied."""
        grant = self.requests.grant(job.grant_id)
        if grant is None or not grant.is_live or grant.delivered:
            return
        why = ("Gatehouse stopped while issuing the credentials, so they were never delivered; "
               "the request is closed. Ask again.")
        if self.grants.end(grant, Status.FAILED, actor=SYSTEM, now=now, why=why, deny=True):
            self.slack.dm(grant.requester, f"R-{grant.request_id} ({grant.role}): {why}")

    def _revoke_deny(self, job: Job, now: datetime) -> None:
        grant = self.requests.grant(job.grant_id)
        if grant is not None:
            self.grants.run_revoke_deny(grant, job.payload["issued_before"], now, retried=True)

    def _scrub_dm(self, job: Job, now: datetime) -> None:
        self.grants.run_scrub(job.grant_id, job.payload["ended"], now)

    def _remove_deny(self, job: Job, now: datetime) -> None:
        cutoff = job.payload.get("issued_before")
        removed = self.aws.remove_revoke_deny(
            role_arn=job.payload["role_arn"], policy_name=job.payload["policy_name"],
            issued_before=datetime.fromisoformat(cutoff.replace("Z", "+00:00")) if cutoff else None)
        self.audit.append(at=now, actor=SYSTEM, action="grant.deny_removed",
                              request_id=None, details={**job.payload, "removed": removed})
