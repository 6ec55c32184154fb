"""The revoke deny: the inline policy that stops credentials already handed out, and its retries."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from config import Config
from domain.audit import SYSTEM
from domain.errors import AwsError
from domain.jobs import JobKind, RemoveDenyJob, RevokeDenyJob
from domain.policy import STS_MAX_SECONDS
from domain.requests import Grant
from domain.text import iso_time
from services.access_rules import AccessRules, now_label, require_request
from services.ports import (
    AuditLog,
    AwsPort,
    Credentials,
    JobQueue,
    RequestStore,
    SlackPort,
    UnitOfWork,
)

log = logging.getLogger("gatehouse.grants")
DENY_LIFETIME = timedelta(seconds=STS_MAX_SECONDS)


class RevokeDenies:
    """Attach, retry and report the deny that makes a revoke stop issued credentials."""

    def __init__(self, *, config: Config, requests: RequestStore, jobs: JobQueue,
                 audit: AuditLog, uow: UnitOfWork, slack: SlackPort, aws: AwsPort,
                 rules: AccessRules) -> None:
        self.config = config
        self.requests = requests
        self.jobs = jobs
        self.audit = audit
        self.uow = uow
        self.slack = slack
        self.aws = aws
        self.rules = rules

    def deny_if_ended_meanwhile(self, grant_id: int, credentials: Credentials, seconds: int,
                                 now: datetime) -> None:
        """A revoke that landed while AWS was issuing set its cut-off before these credentials
        existed: deny again, with a cut-off after their issue time."""
        grant = self.requests.grant(grant_id)
        if grant.is_live or not grant.source_identity:
            return
        issued = max(now, credentials.expiration - timedelta(seconds=seconds))
        cutoff = deny_cutoff(issued)
        self.jobs.schedule(JobKind.REVOKE_DENY, now, key=f"grant:{grant.id}", grant_id=grant.id,
                               payload=RevokeDenyJob(cutoff))
        self.try_deny(grant, now, cutoff)

    def try_deny(self, grant: Grant, now: datetime, cutoff: str | None = None) -> None:
        try:
            self.run(grant, cutoff or deny_cutoff(now), now)
        except AwsError as exc:
            log.warning("revoke deny refused; the sweep retries it",
                        extra={"grant": grant.id, "error": str(exc)})
            self._tell_refused(grant, str(exc))

    def _tell_refused(self, grant: Grant, why: str) -> None:
        """A revoke whose deny AWS refused is not done: the holder, deciders and admins hear."""
        request = require_request(self.requests, grant.request_id)
        until = now_label(grant.ends_at)
        people = " ".join(f"<@{p}>" for p in self.rules.decision_makers(request))
        self.slack.thread(request, f":rotating_light: {people} AWS refused the deny that "
                              f"stops the credentials already issued for {request.label}: "
                              f"{why}. The revoke is NOT complete: they keep working until "
                              f"{until} unless the deny lands. Gatehouse keeps retrying.")
        text = (f":rotating_light: The revoke of {request.label} ({grant.role}, held by "
                f"<@{grant.requester}>) is not complete: AWS refused the deny that stops "
                f"credentials already issued ({why}). They work until {until} unless the "
                "deny lands; Gatehouse keeps retrying.")
        for person in {grant.requester, *self.config.admins}:
            self.slack.dm(person, text)

    def outstanding(self, grant_id: int) -> bool:
        """True while the deny that stops issued credentials has not reached AWS yet."""
        return any(job.grant_id == grant_id for job in self.jobs.pending(JobKind.REVOKE_DENY))

    def run(self, grant: Grant, issued_before: str, now: datetime, *,
                        retried: bool = False) -> None:
        """Attach the deny that stops credentials already handed out; a job retries it."""
        job_key = f"grant:{grant.id}"
        if not grant.source_identity:
            self.jobs.cancel(JobKind.REVOKE_DENY, job_key, now)
            return
        deny = self.aws.put_revoke_deny(
            role_arn=grant.role_arn, source_identity=grant.source_identity,
            issued_before=datetime.fromisoformat(issued_before.replace("Z", "+00:00")))
        cutoff = iso_time(deny.issued_before)
        with self.uow.transaction():
            self.jobs.cancel(JobKind.REVOKE_DENY, job_key, now)
            self.jobs.schedule(JobKind.REMOVE_DENY, now + DENY_LIFETIME, key=job_key,
                                   grant_id=grant.id,
                                   payload=RemoveDenyJob(grant.role_arn, deny.policy_name,
                                                         cutoff))
        self.audit.append(at=now, actor=SYSTEM, action="grant.deny_attached",
                              request_id=grant.request_id, role=grant.role,
                              subject=grant.requester,
                              details={"policy_name": deny.policy_name, "issued_before": cutoff})
        if retried:
            self.slack.thread(require_request(self.requests, grant.request_id),
                                  "AWS accepted the deny: credentials issued before "
                                  f"{cutoff} no longer work. The revoke is complete.")



def deny_cutoff(now: datetime) -> str:
    """Credentials issued before this are denied: the end of the current second, because
    aws:TokenIssueTime has whole seconds and DateLessThan is strict."""
    return iso_time(now.replace(microsecond=0) + timedelta(seconds=1))

