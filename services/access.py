"""Request, decide, cancel, extend and revoke: the access use cases people start."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NoReturn

from config import Config
from domain.audit import SYSTEM
from domain.durations import format_duration
from domain.errors import DuplicateRequest, UserError
from domain.jobs import JobKind
from domain.policy import check_duration
from domain.requests import AccessRequest, Grant, Kind, Status
from domain.scheduled_start import check_start
from domain.text import escape
from services.access_rules import AccessRules, require_request
from services.access_words import (
    MAX_REASON,
    check_hours,
    clean_reason,
    duplicate_message,
    past_total,
    starts_words,
    who,
)
from services.grants import GrantService
from services.ports import AuditLog, JobQueue, RequestStore, SlackPort, UnitOfWork

ANNOUNCE_GRACE = timedelta(minutes=2)  # after this, an unposted request is posted by the sweep


class AccessService:
    """Entry points for what users do; activation and endings live in GrantService."""

    def __init__(self, *, config: Config, requests: RequestStore, jobs: JobQueue,
                 audit: AuditLog, uow: UnitOfWork, slack: SlackPort, rules: AccessRules,
                 grants: GrantService) -> None:
        self.config = config
        self.requests = requests
        self.jobs = jobs
        self.audit = audit
        self.uow = uow
        self.slack = slack
        self.rules = rules
        self.grants = grants

    # --- filing -------------------------------------------------------------------------

    def submit(self, user: str, role_name: str, seconds: int, reason: str,
               now: datetime, start: datetime | None = None) -> AccessRequest:
        """Validate and store a new request; `announce` posts it afterwards.

        `start`: a scheduled start (UTC), granted then by the sweep once approved.
        """
        role = self.rules.role(role_name)
        reason = clean_reason(reason)
        filing = self.rules.check_filing(role, user, reason)
        check_duration(seconds, min(self.rules.limit(role), role.max_total), role.name)
        if start is not None:
            check_start(start, now, timedelta(seconds=self.config.requests.schedule_horizon))
        if role.conditions.hours:
            check_hours(start or now, (role.conditions.hours.start, role.conditions.hours.end),
                        self.config.zone, scheduled=start is not None)
        try:
            with self.uow.transaction():  # a request never exists without its expiry
                request = self.requests.create_request(
                    kind=Kind.ACCESS, requester=user, role=role.name, duration_seconds=seconds,
                    reason=reason, approvals_required=role.approvals_required, now=now,
                    details=filing or None, starts_at=start)
                self.schedule_pending_jobs(request, now)
        except DuplicateRequest as exc:
            raise UserError(duplicate_message(exc.existing)) from None
        return request

    def extend(self, user: str, request_id: int, seconds: int, reason: str,
               now: datetime) -> AccessRequest:
        """Ask for more time on an active grant; approved like a request."""
        original, grant = self.check_extendable(request_id, user)
        role = self.rules.role(grant.role)
        check_duration(seconds, self.rules.limit(role), role.name)
        room = self.rules.room_left(grant, role)
        if seconds > room:
            raise UserError(past_total(original, role.name, role.max_total, room))
        try:
            with self.uow.transaction():  # a request never exists without its expiry
                request = self.requests.create_request(
                    kind=Kind.EXTEND, requester=user, role=role.name, duration_seconds=seconds,
                    reason=clean_reason(reason) if reason.strip() else f"extend {original.label}",
                    approvals_required=role.approvals_required, now=now,
                    parent_id=grant.request_id, details={"grant_id": grant.id})
                self.schedule_pending_jobs(request, now)
        except DuplicateRequest as exc:
            raise UserError(f"{exc.existing.label} already asks to extend this grant; "
                            f"wait for its decision or cancel it.") from None
        return request

    def check_extendable(self, request_id: int, user: str) -> tuple[AccessRequest, Grant]:
        """The request and its live grant, when `user` holds it; else UserError in words."""
        original = self.request(request_id)
        grant = self._live_grant(original)
        if grant.requester != user:
            raise UserError(f"{original.label} is not yours; only its holder can extend it.")
        return original, grant

    def schedule_pending_jobs(self, request: AccessRequest, now: datetime) -> None:
        settings = self.config.requests
        key = f"request:{request.id}"
        self.jobs.schedule(JobKind.EXPIRE_PENDING, now + timedelta(seconds=settings.pending_expiry),
                               key=key, request_id=request.id)
        if settings.remind_after < settings.pending_expiry:
            self.jobs.schedule(JobKind.REMIND, now + timedelta(seconds=settings.remind_after),
                                   key=key, request_id=request.id)
        # Stored with the request: if Gatehouse stops before posting it, the sweep posts it.
        self.jobs.schedule(JobKind.ANNOUNCE, now + ANNOUNCE_GRACE, key=key, request_id=request.id)

    def announce(self, request_id: int, now: datetime) -> None:
        """Post the request for approval, or approve it at once when the role auto-approves."""
        request = self.request(request_id)
        if request.message_ts or request.status is not Status.PENDING:  # posted, or decided
            self.jobs.cancel(JobKind.ANNOUNCE, f"request:{request.id}", now)
            return
        role = self.config.role(request.role) if request.kind is not Kind.KEY else None
        channel = self.rules.channel_for(request)
        try:
            ts = self.slack.post_request(request, channel, self.rules.decision_makers(request))
        except Exception as exc:  # nobody could see it to decide: close it rather than hide it
            self._close_unposted(request, channel, exc, now)
        with self.uow.transaction():
            self.requests.set_message(request.id, channel, ts)
            self.jobs.cancel(JobKind.ANNOUNCE, f"request:{request.id}", now)
        self.slack.home_changed({request.requester, *self.rules.decision_makers(request)})
        note, why = self.rules.auto_approval(role, request.requester) if role else (None, None)
        posted = self.request(request.id)
        if note and posted.status is Status.PENDING:
            if note != "auto-approved":
                self.slack.thread(posted, note)
            self._approve(posted, SYSTEM, now, note=note)
        elif why:
            self.slack.thread(posted, why)

    def announce_late(self, request_id: int, now: datetime) -> None:
        """The sweep's `announce` job: post a request Gatehouse stopped before posting."""
        try:
            self.announce(request_id, now)
        except UserError as closed:  # the requester is not waiting on a reply: tell them
            self.slack.dm(self.request(request_id).requester, str(closed))

    def _close_unposted(self, request: AccessRequest, channel: str, exc: Exception,
                        now: datetime) -> NoReturn:
        response = getattr(exc, "response", None)
        code = response.get("error") if hasattr(response, "get") else None
        why = f"Slack did not post it in <#{channel}> ({code or type(exc).__name__})"
        self.requests.move(request.id, Status.FAILED, actor=SYSTEM, now=now,
                           expect=[Status.PENDING], note=why, details={"why": why})
        self._drop_pending_jobs(request, now)
        raise UserError(f"{request.label} is closed: {why}. Try again in a minute; if it keeps "
                        "failing, ask an admin to check that Gatehouse is in that channel.")

    # --- deciding -----------------------------------------------------------------------

    def approve(self, request_id: int, user: str, now: datetime) -> str:
        """Record one approval; on the last one needed, grant. Returns the clicker's answer."""
        request = self.check_decidable(request_id, user)
        if not self.requests.record_vote(request.id, user, "approve", now):
            raise UserError(f"You have already approved {request.label}.")
        approvals = self.requests.approvers_of(request.id)
        self.audit.append(at=now, actor=user, action="request.vote", request_id=request.id,
                              role=request.role, subject=request.requester,
                              details={"approvals": len(approvals),
                                       "required": request.approvals_required})
        if len(approvals) < request.approvals_required:
            self.slack.thread(request, f"<@{user}> approved "
                                  f"({len(approvals)} of {request.approvals_required}).")
            self.slack.refresh_request(request, approvals)
            return (f"Your approval of {request.label} is recorded "
                    f"({len(approvals)} of {request.approvals_required}).")
        if not self._approve(request, user, now):
            raise UserError(f"{request.label} has already been decided.")
        return f"You approved {request.label}."

    def _approve(self, request: AccessRequest, user: str, now: datetime,
                 note: str | None = None) -> bool:
        with self.uow.transaction():
            moved = self.requests.move(request.id, Status.APPROVED, actor=user, now=now,
                                       expect=[Status.PENDING], decided_by=user, decided_at=now,
                                       details={"note": note} if note else None)
            if moved is None:
                return False
            self._drop_pending_jobs(moved, now)
            # A scheduled request is granted by the sweep at its start, even after a restart.
            self.jobs.schedule(JobKind.ACTIVATE, max(now, moved.starts_at or now),
                               key=f"request:{moved.id}", request_id=moved.id)
        self.slack.refresh_request(moved, self.requests.approvers_of(moved.id))
        if moved.waits_for_start(now):
            self._tell_scheduled(moved, user)
            return True
        self.slack.thread(moved, f"Approved by {who(user)}. Granting access…")
        self.grants.activate(moved.id, now)
        return True

    def _tell_scheduled(self, request: AccessRequest, user: str) -> None:
        start = starts_words(request.starts_at)
        self.slack.thread(request, f"Approved by {who(user)}; access {start}.")
        self.slack.dm(request.requester, f"{request.label} ({request.role}) was approved by "
                      f"{who(user)}; access {start}, for "
                      f"{format_duration(request.duration_seconds)}. Until then "
                      f"`/access cancel {request.label}` cancels it.")
        self.slack.home_changed({request.requester})

    def deny(self, request_id: int, user: str, reason: str, now: datetime) -> str:
        request = self.check_decidable(request_id, user)
        note = reason.strip()[:MAX_REASON] or None
        self.requests.record_vote(request.id, user, "deny", now)
        moved = self.requests.move(request.id, Status.DENIED, actor=user, now=now,
                                   expect=[Status.PENDING], decided_by=user, decided_at=now,
                                   note=note, details={"reason": note} if note else None)
        if moved is None:
            raise UserError(f"{request.label} has already been decided.")
        self._drop_pending_jobs(moved, now)
        because = f": {escape(note)}" if note else "."
        self.slack.thread(moved, f"Denied by <@{user}>{because}")
        self.slack.refresh_request(moved, self.requests.approvers_of(moved.id))
        self.slack.dm(moved.requester, f"{moved.label} ({moved.role}) was denied by "
                                            f"<@{user}>{because}")
        self.slack.home_changed({moved.requester, user})
        return f"You denied {moved.label}."

    def check_decidable(self, request_id: int, user: str) -> AccessRequest:
        request = self.request(request_id)
        if request.status is not Status.PENDING:
            raise UserError(f"{request.label} is already {request.status.value}; "
                            "there is nothing left to decide.")
        self.rules.check_decider(request, user)
        return request

    def _drop_pending_jobs(self, request: AccessRequest, now: datetime) -> None:
        for action in (JobKind.EXPIRE_PENDING, JobKind.REMIND, JobKind.ANNOUNCE):
            self.jobs.cancel(action, f"request:{request.id}", now)

    # --- ending -------------------------------------------------------------------------

    def cancel(self, request_id: int, user: str, now: datetime) -> str:
        request = self.request(request_id)
        if request.requester != user:
            raise UserError(f"{request.label} is not yours; only its requester can cancel it.")
        # An approved request may be cancelled until its scheduled start.
        expect = [Status.PENDING] + ([Status.APPROVED] if request.waits_for_start(now) else [])
        moved = self.requests.move(request.id, Status.CANCELLED, actor=user, now=now,
                                   expect=expect, decided_by=user, decided_at=now)
        if moved is None:
            hint = " Use `/access revoke` to end an active grant." if request.status is \
                Status.ACTIVE else ""
            raise UserError(f"{request.label} is {request.status.value}; only a pending request, "
                            f"or an approved one before its start, can be cancelled.{hint}")
        self._drop_pending_jobs(moved, now)
        self.jobs.cancel(JobKind.ACTIVATE, f"request:{moved.id}", now)
        self.slack.thread(moved, f"Cancelled by <@{user}>.")
        self.slack.refresh_request(moved, self.requests.approvers_of(moved.id))
        self.slack.home_changed({user})
        return f"{moved.label} is cancelled."

    def revoke(self, request_id: int, user: str, now: datetime) -> str:
        request = self.request(request_id)
        grant = self._live_grant(request)
        role = self.config.role(grant.role)
        allowed = user == grant.requester or self.rules.is_admin(user) or (
            role is not None and self.rules.may_decide_now(role, user))
        if not allowed:
            raise UserError(f"{request.label} is not yours; only its holder, the role's "
                            "approvers and admins can revoke it.")
        if not self.grants.end(grant, Status.REVOKED, actor=user, now=now):
            raise UserError(f"{request.label} has already ended.")
        if self.grants.deny_outstanding(grant.id):
            return (f"{request.label} is ended in Gatehouse, but the revoke is NOT complete: "
                    "AWS refused the deny that stops the credentials already issued. "
                    "Gatehouse keeps retrying and has told the holder, the approvers and the "
                    "admins.")
        return (f"{request.label} is revoked: its credentials stop working now and the "
                "message that held them no longer shows them.")

    def _live_grant(self, request: AccessRequest) -> Grant:
        grant = self.requests.grant(request.grant_id) if request.grant_id else None
        if grant is None or not grant.is_live or request.status is not Status.ACTIVE:
            raise UserError(f"{request.label} is {request.status.value}, not an active grant. "
                            "`/access list` shows your active grants.")
        return grant

    # --- reading ------------------------------------------------------------------------

    def waiting_for(self, user: str) -> list[AccessRequest]:
        """Pending requests this user may decide on."""
        return [r for r in self.requests.pending() if user in self.rules.decision_makers(r)]

    def request(self, request_id: int) -> AccessRequest:
        return require_request(self.requests, request_id)

    def open_of(self, user: str) -> tuple[list[AccessRequest], dict[int, Grant]]:
        """What `/access list` shows: open requests (one line per grant) and their grants."""
        requests = self.requests.open_requests_of(user)
        grant_ids = {r.grant_id for r in requests if r.grant_id}
        grants = {g.id: g for g in (self.requests.grant(i) for i in grant_ids) if g}
        shown = [r for r in requests if r.grant_id is None
                 or (grant := grants.get(r.grant_id)) is None or r.id == grant.request_id]
        return shown, grants

    def live_grants_of(self, user: str) -> list[tuple[AccessRequest, Grant]]:
        return [(request, grant) for grant in self.requests.live_grants_of(user)
                if (request := self.requests.get(grant.request_id)) is not None]

    def pending_of(self, user: str) -> list[AccessRequest]:
        """Requests not yet granted: pending, and approved ones waiting for their start."""
        waiting = [r for r in self.requests.open_requests_of(user)
                   if r.status is Status.APPROVED and r.starts_at is not None]
        return sorted([*self.requests.pending_of(user), *waiting], key=lambda r: r.id)

    def approvers_of(self, request_id: int) -> list[str]:
        return self.requests.approvers_of(request_id)
