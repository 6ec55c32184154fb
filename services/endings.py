"""How a grant ends: every request on it moved, its jobs dropped, its DM scrubbed, people told."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from domain.jobs import JobKind, RevokeDenyJob, ScrubDmJob
from domain.requests import Grant, Status
from services.access_rules import now_label, require_request
from services.identity_center_end import AssignmentEndings
from services.ports import JobQueue, RequestStore, SlackPort, UnitOfWork
from services.revocation import RevokeDenies, deny_cutoff

log = logging.getLogger("gatehouse.grants")
NOTICED_LATE = timedelta(minutes=2)  # the sweep runs every 30 s; later than this, say so


class GrantEndings:
    """Expire, revoke or close a live grant; scrub the secrets from its DM, safe to repeat."""

    def __init__(self, *, requests: RequestStore, jobs: JobQueue, uow: UnitOfWork,
                 slack: SlackPort, denies: RevokeDenies,
                 assignments: AssignmentEndings | None = None) -> None:
        self.requests = requests
        self.jobs = jobs
        self.uow = uow
        self.slack = slack
        self.denies = denies
        self.assignments = assignments  # permission-set grants: their assignments end too

    def end(self, grant: Grant, status: Status, *, actor: str, now: datetime,
            why: str | None = None, deny: bool | None = None) -> bool:
        """Expire, revoke or fail a live grant and every request on it; False if already ended."""
        deny = status is Status.REVOKED if deny is None else deny
        with self.uow.transaction():
            if not self.requests.end_grant(grant.id, status, now):
                return False
            requests = [r for r in self.requests.requests_of_grant(grant.id)
                        if r.status is Status.ACTIVE]
            for request in requests:
                self.requests.move(request.id, status, actor=actor, now=now,
                                   expect=[Status.ACTIVE], note=why,
                                   details={"grant_id": grant.id, **({"why": why} if why else {})})
            for action in (JobKind.EXPIRE_GRANT, JobKind.WARN_EXPIRY, JobKind.CHECK_DELIVERY):
                self.jobs.cancel(action, f"grant:{grant.id}", now)
            if self.requests.grant(grant.id).dm_ts:
                ended = _ended_words(status, actor, now, grant, why)
                self.jobs.schedule(JobKind.SCRUB_DM, now, key=f"grant:{grant.id}",
                                   grant_id=grant.id, payload=ScrubDmJob(ended))
            if deny:
                self.jobs.schedule(JobKind.REVOKE_DENY, now, key=f"grant:{grant.id}",
                                       grant_id=grant.id,
                                       payload=RevokeDenyJob(deny_cutoff(now)))
            if self.assignments is not None:
                self.assignments.on_end(grant, status, now)
        if deny:
            self.denies.try_deny(grant, now)
        if self.assignments is not None:
            self.assignments.after_end(grant, status, now)
        self._announce_end(grant, status, actor, now, why)
        return True

    def _announce_end(self, grant: Grant, status: Status, actor: str, now: datetime,
                      why: str | None) -> None:
        first = require_request(self.requests, grant.request_id)
        ended = _ended_words(status, actor, now, grant, why)
        try:
            self.run_scrub(grant.id, ended, now)
        except Exception as exc:  # the stored scrub_dm job retries until Slack takes it
            log.warning("could not remove credentials from the DM yet; the sweep retries",
                        extra={"grant": grant.id, "error": str(exc)})
        self.slack.thread(first, f"Access {ended}.")
        for request in self.requests.requests_of_grant(grant.id):
            self.slack.refresh_request(request, self.requests.approvers_of(request.id))
        if status is Status.REVOKED and actor != grant.requester:
            self.slack.dm(grant.requester, f"Your access to {grant.role} ({first.label}) "
                                               f"was {ended}.")
        self.settle_warning(grant.id, f":lock: Your access to *{grant.role}* ({first.label}) "
                                      f"{ended}.")
        self.slack.home_changed({grant.requester})

    def settle_warning(self, grant_id: int, text: str) -> None:
        """The pre-expiry warning, if one was sent, says what happened instead of offering
        Extend; a Slack failure only leaves the old words (an Extend click is refused)."""
        grant = self.requests.grant(grant_id)
        if grant is None or not grant.warning_ts:
            return
        try:
            self.slack.settle_expiry_warning(grant, text)
        except Exception as exc:  # cosmetic: the button is refused on click anyway
            log.warning("could not update the expiry warning",
                        extra={"grant": grant_id, "error": str(exc)})
            return
        self.requests.update_grant(grant_id, warning_channel=None, warning_ts=None)

    def scrub_if_ended(self, grant_id: int, now: datetime) -> None:
        """A revoke that landed while the DM was on its way found nothing to scrub: do it now."""
        grant = self.requests.grant(grant_id)
        if grant.is_live:
            return
        ended = f"ended at {now_label(grant.ended_at)}"
        self.jobs.schedule(JobKind.SCRUB_DM, now, key=f"grant:{grant_id}", grant_id=grant_id,
                               payload=ScrubDmJob(ended))
        try:
            self.run_scrub(grant_id, ended, now)
        except Exception as exc:  # the stored scrub_dm job retries until Slack takes it
            log.warning("could not remove credentials from the DM yet; the sweep retries",
                        extra={"grant": grant_id, "error": str(exc)})

    def run_scrub(self, grant_id: int, ended: str, now: datetime) -> None:
        """Edit the credentials DM so that no secret remains in Slack; safe to repeat."""
        grant = self.requests.grant(grant_id)
        if grant is not None and grant.dm_ts:
            request = require_request(self.requests, grant.request_id)
            self.slack.scrub_credentials(grant, request, ended)
        self.jobs.cancel(JobKind.SCRUB_DM, f"grant:{grant_id}", now)


def _ended_words(status: Status, actor: str, now: datetime, grant: Grant,
                 why: str | None = None) -> str:
    """How a grant ended, for its thread and its DM: an expiry gives the grant's own end, and
    when the sweep saw it later (Gatehouse was down), when that was; a closing says why."""
    if status is Status.EXPIRED:
        late = now - grant.ends_at > NOTICED_LATE
        noticed = f" (Gatehouse noticed at {now_label(now)})" if late else ""
        return f"expired at {now_label(min(now, grant.ends_at))}{noticed}"
    if status is Status.REVOKED:
        return f"revoked by <@{actor}> at {now_label(now)}"
    return f"closed at {now_label(now)}" + (f": {why}" if why else "")
