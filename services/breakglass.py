"""Break-glass: access taken at once by those allowed, announced, then reviewed by approvers."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Protocol

from config import Config
from domain.access_policy import (
    WEEK,
    AccessPolicy,
    GroupLookup,
    check_break_glass,
    deciders,
    find_ticket,
)
from domain.audit import SYSTEM
from domain.break_glass import BreakGlassUse, Verdict, announcement, reminder, review_request
from domain.break_glass import reviewed as reviewed_words
from domain.durations import format_duration
from domain.errors import DuplicateRequest, UserError
from domain.jobs import Job, JobKind
from domain.policy import check_duration
from domain.requests import AccessRequest, Kind, Status
from services.access_rules import AccessRules, require_request
from services.access_words import clean_reason, duplicate_message
from services.grants import GrantService
from services.ports import AuditLog, JobQueue, RequestStore, SlackPort, UnitOfWork

log = logging.getLogger("gatehouse.breakglass")


class BreakGlassLog(Protocol):
    """Each use and its review; `record_verdict` is one guarded update (False: answered)."""

    def uses_since(self, requester: str, role: str, since: datetime) -> list[datetime]: ...

    def record_use(self, request_id: int, requester: str, role: str, now: datetime) -> None: ...

    def set_review_message(self, request_id: int, channel: str, ts: str) -> None: ...

    def use(self, request_id: int) -> BreakGlassUse | None: ...

    def record_verdict(self, request_id: int, verdict: Verdict, by: str,
                       now: datetime) -> bool: ...

    def unreviewed(self) -> list[BreakGlassUse]: ...


class ReviewSlack(SlackPort, Protocol):
    """The Slack calls break-glass adds: a loud post, the review prompt and its answer."""

    def announce(self, channel: str, text: str) -> None: ...

    def review_prompt(self, request: AccessRequest, text: str) -> tuple[str, str]: ...

    def settle_review(self, channel: str, ts: str, text: str) -> None: ...


class BreakGlassService:
    """`/access breakglass`, the review buttons, and the reminders until someone answers."""

    def __init__(self, *, config: Config, requests: RequestStore, uses: BreakGlassLog,
                 jobs: JobQueue, audit: AuditLog, uow: UnitOfWork, slack: ReviewSlack,
                 rules: AccessRules, grants: GrantService) -> None:
        self.config = config
        self.requests = requests
        self.uses = uses
        self.jobs = jobs
        self.audit = audit
        self.uow = uow
        self.slack = slack
        self.rules = rules
        self.grants = grants

    # --- breaking the glass -------------------------------------------------------------

    def use(self, user: str, role_name: str, seconds: int, reason: str, now: datetime) -> str:
        """Grant `role_name` to `user` now, without approval, when the role's rule allows it."""
        role = self.rules.role(role_name)
        policy = self.rules.policy(role)
        reason = clean_reason(reason)
        lookup = self.rules.read_groups(policy)
        check_break_glass(policy, user, seconds, [], now, lookup)  # allowed and short enough
        check_duration(seconds, min(self.rules.limit(role), role.max_total), role.name)
        ticket = find_ticket(policy, reason)
        details: dict[str, Any] = {"break_glass": True}
        if ticket is not None:
            details.update(ticket=ticket.key, **({"ticket_url": ticket.url} if ticket.url else {}))
        try:
            request = self._record(user, role.name, seconds, reason, now, details, policy, lookup)
        except DuplicateRequest as exc:
            raise UserError(duplicate_message(exc.existing)) from None
        self._announce(request, now)
        self.grants.activate(request.id, now)
        granted = self.requests.get(request.id)
        if granted is None or granted.status is not Status.ACTIVE:
            return (f"{request.label}: break-glass was recorded, but the grant failed; your DM "
                    "from Gatehouse says why.")
        return (f"{request.label}: break-glass on `{role.name}` for {format_duration(seconds)}. "
                "The credentials are in your DM from Gatehouse. This use is announced and the "
                "approvers will review it.")

    def _record(self, user: str, role: str, seconds: int, reason: str, now: datetime,
                details: dict[str, Any], policy: AccessPolicy,
                lookup: GroupLookup) -> AccessRequest:
        """Count this week's uses and store the approved request, in one transaction."""
        with self.uow.transaction():
            used = self.uses.uses_since(user, role, now - WEEK)
            check_break_glass(policy, user, seconds, used, now, lookup)
            request = self.requests.create_request(
                kind=Kind.ACCESS, requester=user, role=role, duration_seconds=seconds,
                reason=reason, approvals_required=1, now=now, details=details)
            moved = self.requests.move(request.id, Status.APPROVED, actor=user, now=now,
                                       expect=[Status.PENDING], decided_by=user, decided_at=now,
                                       note="break-glass: taken without approval",
                                       details={"break_glass": True})
            self.uses.record_use(request.id, user, role, now)
            self.audit.append(at=now, actor=user, action="breakglass.activated",
                              request_id=request.id, role=role, subject=user,
                              details={"duration_seconds": seconds, "reason": reason,
                                       "uses_this_week": len(used) + 1})
            self.jobs.schedule(JobKind.ACTIVATE, now, key=f"request:{request.id}",
                               request_id=request.id)
            self.jobs.schedule(JobKind.BREAKGLASS_REMIND, self._next_reminder(now),
                               key=f"breakglass:{request.id}", request_id=request.id)
        return moved or request

    def _announce(self, request: AccessRequest, now: datetime) -> None:
        """Post in the approval channel, open the review there, and tell the extra channel."""
        loud = announcement(request.label, request.requester, request.role,
                            request.duration_seconds, request.reason)
        channel = self.rules.channel_for(request)
        try:
            ts = self.slack.post_request(request, channel, self._reviewers(request))
            self.requests.set_message(request.id, channel, ts)
            posted = require_request(self.requests, request.id)
            use = self.uses.use(request.id)
            review = review_request(use, self._reviewers(posted)) if use else loud
            self.uses.set_review_message(request.id, *self.slack.review_prompt(
                posted, f"{loud}\n{review}"))
        except Exception as exc:  # the grant must not wait on Slack; the reminder re-asks
            log.warning("could not announce break-glass", extra={"request": request.label,
                                                                 "error": str(exc)})
        role = self.config.role(request.role)
        extra = role.break_glass.channel if role and role.break_glass else None
        if extra and extra != channel:
            try:
                self.slack.announce(extra, loud)
            except Exception as exc:  # announced in the approval channel already
                log.warning("could not announce break-glass", extra={"channel": extra,
                                                                     "error": str(exc)})
        self.slack.home_changed({request.requester})

    # --- the review ---------------------------------------------------------------------

    def review(self, request_id: int, user: str, verdict: Verdict, now: datetime) -> str:
        """Record one approver's verdict on a break-glass use, once."""
        use = self.uses.use(request_id)
        if use is None:
            raise UserError(f"R-{request_id} was not a break-glass use; there is nothing to "
                            "review.")
        if user == use.requester:
            raise UserError("You cannot review your own break-glass; another approver must.")
        if use.verdict is not None:
            raise UserError(f"{use.label} was already reviewed by <@{use.reviewed_by}>: "
                            f"{use.verdict.words}.")
        request = require_request(self.requests, request_id)
        self.rules.check_decider(request, user)  # user groups read from Slack now
        with self.uow.transaction():
            if not self.uses.record_verdict(request_id, verdict, user, now):
                raise UserError(f"{use.label} was already reviewed; nothing was changed.")
            self.audit.append(at=now, actor=user, action="breakglass.reviewed",
                              request_id=request_id, role=use.role, subject=use.requester,
                              details={"verdict": verdict.value})
            self.jobs.cancel(JobKind.BREAKGLASS_REMIND, f"breakglass:{request_id}", now)
        answered = self.uses.use(request_id) or use
        if answered.review_channel and answered.review_ts:
            self.slack.settle_review(answered.review_channel, answered.review_ts,
                                     reviewed_words(answered))
        self.slack.thread(request, reviewed_words(answered))
        self._tell_requester(answered)
        return f"You marked break-glass {use.label} as {verdict.words.lower()}."

    def _tell_requester(self, use: BreakGlassUse) -> None:
        try:
            self.slack.dm(use.requester, reviewed_words(use))
        except Exception as exc:  # the thread holds the verdict
            log.warning("could not DM the review", extra={"error": str(exc)})

    def remind(self, job: Job, now: datetime) -> None:
        """The sweep's reminder: ask the approvers again until one answers."""
        use = self.uses.use(job.request_id)
        if use is None or use.verdict is not None:
            return
        # Scheduled before posting: a failed post still leaves the next reminder in place.
        self.jobs.schedule(JobKind.BREAKGLASS_REMIND, self._next_reminder(now),
                           key=f"breakglass:{use.request_id}", request_id=use.request_id)
        request = require_request(self.requests, use.request_id)
        waiting = self._reviewers(request)
        self.slack.thread(request, reminder(use, waiting))
        self.audit.append(at=now, actor=SYSTEM, action="breakglass.reminded",
                          request_id=use.request_id, role=use.role, subject=use.requester,
                          details={"approvers": waiting})

    def unreviewed(self) -> list[BreakGlassUse]:
        return self.uses.unreviewed()

    def _reviewers(self, request: AccessRequest) -> list[str]:
        """Who may review now: the role's deciders, groups read now, never the requester."""
        role = self.config.role(request.role)
        if role is None:
            return list(self.config.admins)
        policy = self.rules.policy(role)
        people = deciders(policy, self.rules.read_groups(policy))
        return sorted(p for p in people if p != request.requester)

    def _next_reminder(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.config.requests.remind_after)

