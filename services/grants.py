"""Issue grants through STS, end them on time or on demand, and clean up after them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from config import Config, RoleConfig
from domain.accounts import account_of_arn
from domain.audit import SYSTEM
from domain.durations import format_duration
from domain.errors import AwsError, UserError
from domain.jobs import JobKind
from domain.policy import STS_MIN_SECONDS, grant_end, window_end
from domain.requests import AccessRequest, Grant, Kind, Status
from services.access_rules import AccessRules, now_label, require_request
from services.endings import GrantEndings
from services.identity_center import GrantSteps, IdentityCenterGrants
from services.identity_center_end import AssignmentEndings
from services.ports import (
    AuditLog,
    AwsPort,
    JobQueue,
    RequestStore,
    SlackPort,
    UnitOfWork,
)
from services.revocation import RevokeDenies

log = logging.getLogger("gatehouse.grants")
DELIVERY_DEADLINE = timedelta(minutes=5)
Activator = Callable[[AccessRequest, datetime], None]


class GrantService:
    def __init__(self, *, config: Config, requests: RequestStore, jobs: JobQueue,
                 audit: AuditLog, uow: UnitOfWork, slack: SlackPort, aws: AwsPort,
                 rules: AccessRules, activators: Mapping[Kind, Activator] | None = None,
                 identity_center: IdentityCenterGrants | None = None,
                 assignments: AssignmentEndings | None = None) -> None:
        self.config = config
        self.requests = requests
        self.jobs = jobs
        self.audit = audit
        self.uow = uow
        self.slack = slack
        self.aws = aws
        self.rules = rules
        self.denies = RevokeDenies(config=config, requests=requests, jobs=jobs, audit=audit,
                                   uow=uow, slack=slack, aws=aws, rules=rules)
        self.endings = GrantEndings(requests=requests, jobs=jobs, uow=uow, slack=slack,
                                    denies=self.denies, assignments=assignments)
        self.identity_center = identity_center  # permission sets: assignments, not STS
        # Other kinds of request (key rotation) say what approval sets off.
        self.activators: Mapping[Kind, Activator] = activators or {}

    def _request(self, request_id: int) -> AccessRequest:
        return require_request(self.requests, request_id)

    def activate(self, request_id: int, now: datetime) -> None:
        """Turn an approved request into live credentials; safe to call more than once."""
        request = self._request(request_id)
        if request.status is not Status.APPROVED or request.waits_for_start(now):
            return  # decided otherwise, or the sweep grants it at its scheduled start
        if request.kind in self.activators:
            self.activators[request.kind](request, now)
            return
        try:
            plan = self._plan(request, now)
        except UserError as refusal:
            self._fail(request, str(refusal), now)
            return
        if self.identity_center is not None and self.identity_center.handles(request.role):
            steps = GrantSteps(fail=self._fail, fail_grant=self._fail_grant,
                               schedule_jobs=self._schedule_grant_jobs,
                               settle_warning=self.endings.settle_warning,
                               apply_extension=self._apply_extension)
            act = self.identity_center.extend if request.kind is Kind.EXTEND else \
                self.identity_center.issue
            act(steps, request, plan[0], now)
        elif request.kind is Kind.EXTEND:
            self._extend(request, plan, now)
        else:
            self._issue(request, plan, now)

    def _plan(self, request: AccessRequest, now: datetime) -> tuple[datetime, int]:
        """(end of the grant, session seconds) within every limit, or UserError."""
        role = self.rules.role(request.role)
        hours = role.conditions.hours
        start = scheduled_base(request, now)
        closing = window_end(start, (hours.start, hours.end), self.config.zone) if hours else None
        total_end = start + timedelta(seconds=role.max_total)
        if request.kind is Kind.EXTEND:
            parent = self._request(request.parent_id)
            grant = self.requests.grant(parent.grant_id) if parent.grant_id else None
            if grant is None or not grant.is_live or grant.ends_at <= now:
                raise UserError(f"the grant of {parent.label} ended before the extension was "
                                "approved; request access again")
            if not (grant.delivered and grant.dm_ts):  # new secrets go only into a known DM
                raise UserError(f"the credentials of {parent.label} never reached you, so it "
                                "cannot be extended; it is being closed, request access again")
            start = max(now, grant.ends_at)
            total_end = grant.started_at + timedelta(seconds=role.max_total)
        limit = self.rules.limit(role, fresh=True)
        ends = min(grant_end(start, request.duration_seconds, closing),
                   now + timedelta(seconds=limit), total_end)
        seconds = int((ends - now).total_seconds())
        if total_end <= start and request.kind is Kind.EXTEND:
            raise UserError(f"the grant has reached the max_total of {role.name} "
                            f"({format_duration(role.max_total)}, extensions included)")
        if seconds < STS_MIN_SECONDS:
            raise UserError("the grant would last under 15 minutes (the role's hours window "
                            "or its session limit ends sooner), which AWS does not allow")
        return ends, seconds

    def _issue(self, request: AccessRequest, plan: tuple[datetime, int], now: datetime) -> None:
        ends, seconds = plan
        role = self.rules.role(request.role)
        email = self.slack.user_email(request.requester)
        with self.uow.transaction():
            if self.requests.move(request.id, Status.ACTIVE, actor=SYSTEM, now=now,
                                  expect=[Status.APPROVED],
                                  details={"ends_at": now_label(ends), "seconds": seconds,
                                           **_account_detail(role)}) is None:
                return
            source_identity, session_name = self.aws.session_identity(
                request.requester, email, request.id)
            grant = self.requests.create_grant(
                request, role_arn=role.arn, started_at=now, ends_at=ends,
                source_identity=source_identity, session_name=session_name)
            self._schedule_grant_jobs(grant, now)
            self.jobs.cancel(JobKind.ACTIVATE, f"request:{request.id}", now)
        # The DM exists before any secret does, so that whatever happens next it can be scrubbed.
        try:
            channel, ts = self.slack.dm(request.requester, f"{request.label}: issuing your "
                                                           f"credentials for {role.name}…")
        except Exception as exc:  # no DM, no secret: nothing is issued
            self._fail_grant(request, grant, f"Slack refused the DM that would hold the "
                             f"credentials ({slack_refusal(exc)}), so none were issued", now)
            return
        self.requests.update_grant(grant.id, dm_channel=channel, dm_ts=ts)
        grant = self.requests.grant(grant.id)
        try:
            credentials = self.aws.assume(
                role_arn=role.arn, duration_seconds=seconds, source_identity=source_identity,
                session_name=session_name, request_id=request.id, requester=request.requester,
                role=role.name, source_ips=role.conditions.source_ips, ends_at=ends)
            console = self.aws.console_url(credentials, seconds)
        except AwsError as exc:
            self._fail_grant(request, grant, f"AWS refused the grant: {exc}", now)
            return
        self.denies.deny_if_ended_meanwhile(grant.id, credentials, seconds, now)
        try:
            self.slack.dm_credentials(request, grant, credentials, console,
                                      _clip_note(request, seconds))
        except Exception as exc:  # issued but not delivered: withdraw them with a deny
            self._fail_grant(request, grant, f"Slack refused the DM with the credentials "
                             f"({slack_refusal(exc)}); they were withdrawn", now, deny=True)
            return
        self.requests.update_grant(grant.id, delivered=True)
        self.endings.scrub_if_ended(grant.id, now)
        self.slack.thread(request, f"Access granted to <@{request.requester}> until "
                                       f"{now_label(ends)}.")
        self.slack.refresh_request(self._request(request.id),
                                       self.requests.approvers_of(request.id))
        self.slack.home_changed({request.requester})

    def _apply_extension(self, request: AccessRequest, grant: Grant, ends: datetime,
                         now: datetime) -> tuple[bool, bool]:
        """(grant still live, extension recorded): the request moves to active and the grant
        ends later, in one transaction, unless the grant ended meanwhile."""
        with self.uow.transaction():
            live = self.requests.grant(grant.id).is_live
            moved = live and self.requests.move(
                request.id, Status.ACTIVE, actor=SYSTEM, now=now, expect=[Status.APPROVED],
                grant_id=grant.id, details={"grant_id": grant.id, "ends_at": now_label(ends)})
            if moved:
                self.requests.update_grant(grant.id, ends_at=ends)
                self._schedule_grant_jobs(self.requests.grant(grant.id), now)
                self.jobs.cancel(JobKind.ACTIVATE, f"request:{request.id}", now)
        return live, bool(moved)

    def _extend(self, request: AccessRequest, plan: tuple[datetime, int], now: datetime) -> None:
        ends, seconds = plan
        parent = self._request(request.parent_id)
        grant = self.requests.grant(parent.grant_id)
        try:
            credentials = self.aws.assume(
                role_arn=grant.role_arn, duration_seconds=seconds,
                source_identity=grant.source_identity, session_name=grant.session_name,
                request_id=parent.id, requester=request.requester, role=grant.role,
                source_ips=self.rules.role(grant.role).conditions.source_ips, ends_at=ends)
            console = self.aws.console_url(credentials, seconds)
        except AwsError as exc:
            self._fail(request, f"AWS refused the extension: {exc}", now)
            return
        # A revoke or expiry may have ended the grant while AWS was asked.
        live, moved = self._apply_extension(request, grant, ends, now)
        grant = self.requests.grant(grant.id)
        if not live:
            self.denies.deny_if_ended_meanwhile(grant.id, credentials, seconds, now)
            self._fail(request, f"{parent.label} ended before the extension was applied", now)
        if not moved:
            return
        channel, ts = self.slack.dm_credentials(
            parent, grant, credentials, console,
            f"Extended by {request.label} until {now_label(ends)}.")
        self.requests.update_grant(grant.id, delivered=True, dm_channel=channel, dm_ts=ts)
        self.endings.scrub_if_ended(grant.id, now)
        self.slack.thread(request, f"Extension granted: {parent.label} now ends "
                                       f"{now_label(ends)}.")
        self.slack.thread(parent, f"Extended by {request.label} until {now_label(ends)}.")
        self._tell_extended(parent, request, grant, ends)
        self.endings.settle_warning(grant.id, f":white_check_mark: Your access to *{grant.role}* "
                                              f"({parent.label}) was extended by "
                                              f"{request.label}; it now ends at {now_label(ends)}.")
        self.slack.refresh_request(self._request(request.id),
                                       self.requests.approvers_of(request.id))
        self.slack.home_changed({request.requester})

    def _tell_extended(self, parent: AccessRequest, request: AccessRequest, grant: Grant,
                       ends: datetime) -> None:
        """Editing the credentials DM notifies nobody: a short new line does."""
        try:
            self.slack.dm(request.requester, f"{parent.label}: {request.label} was approved; "
                          f"your access to {grant.role} now ends at {now_label(ends)}. The "
                          "credentials above were replaced with new ones.")
        except Exception as exc:  # the edited DM already holds the news
            log.warning("could not post the extension line", extra={"error": str(exc)})

    def _schedule_grant_jobs(self, grant: Grant, now: datetime) -> None:
        key = f"grant:{grant.id}"
        self.jobs.schedule(JobKind.EXPIRE_GRANT, grant.ends_at, key=key, grant_id=grant.id)
        warn_at = grant.ends_at - timedelta(seconds=self.config.requests.warn_before_expiry)
        if warn_at > now:
            self.jobs.schedule(JobKind.WARN_EXPIRY, warn_at, key=key, grant_id=grant.id)
        self.jobs.schedule(JobKind.CHECK_DELIVERY, now + DELIVERY_DEADLINE, key=key,
                               grant_id=grant.id)

    # --- endings ----------------------------------------------------------------------------

    def end(self, grant: Grant, status: Status, *, actor: str, now: datetime,
            why: str | None = None, deny: bool | None = None) -> bool:
        """Expire, revoke or fail a live grant and every request on it; False if already ended."""
        return self.endings.end(grant, status, actor=actor, now=now, why=why, deny=deny)

    def run_scrub(self, grant_id: int, ended: str, now: datetime) -> None:
        self.endings.run_scrub(grant_id, ended, now)

    def _fail(self, request: AccessRequest, why: str, now: datetime) -> None:
        moved = self.requests.move(request.id, Status.FAILED, actor=SYSTEM, now=now,
                                   expect=[Status.APPROVED, Status.PENDING], note=why,
                                   details={"why": why})
        if moved is None:
            return
        self.jobs.cancel(JobKind.ACTIVATE, f"request:{request.id}", now)
        self._tell_failure(moved, why)

    def _fail_grant(self, request: AccessRequest, grant: Grant, why: str, now: datetime,
                    deny: bool = False) -> None:
        if self.end(grant, Status.FAILED, actor=SYSTEM, now=now, why=why, deny=deny):
            self._tell_failure(self._request(request.id), why)

    def _tell_failure(self, request: AccessRequest, why: str) -> None:
        log.warning("request failed", extra={"request": request.label, "why": why})
        self.slack.thread(request, f"{request.label} failed: {why}")
        self.slack.refresh_request(request, self.requests.approvers_of(request.id))
        try:
            self.slack.dm(request.requester, f"{request.label} ({request.role}) failed: {why}")
        except Exception as exc:  # Slack refusing DMs may be why it failed; the thread says it
            log.warning("could not DM the failure", extra={"request": request.label,
                                                           "error": str(exc)})
        self.slack.home_changed({request.requester})


    def deny_outstanding(self, grant_id: int) -> bool:
        return self.denies.outstanding(grant_id)

    def run_revoke_deny(self, grant: Grant, issued_before: str, now: datetime, *,
                        retried: bool = False) -> None:
        self.denies.run(grant, issued_before, now, retried=retried)


def scheduled_base(request: AccessRequest, now: datetime) -> datetime:
    """When a grant's time starts counting: its scheduled start when it was approved ahead
    (so a late sweep does not push the end), else now."""
    start = request.starts_at
    if start is None or start > now or request.decided_at is None or request.decided_at > start:
        return now
    return start


def slack_refusal(exc: Exception) -> str:
    """Slack's error code for a refused call, else the kind of failure."""
    response = getattr(exc, "response", None)
    code = response.get("error") if hasattr(response, "get") else None
    return str(code or type(exc).__name__)


def _clip_note(request: AccessRequest, seconds: int) -> str | None:
    if seconds >= request.duration_seconds:
        return None
    return (f"Granted for {format_duration(seconds)} instead of "
            f"{format_duration(request.duration_seconds)}: the role's limits end it sooner.")


def _account_detail(role: RoleConfig) -> dict[str, str]:
    """The account a role across accounts lives in, for the audit entry of its grant."""
    return {"account": account_of_arn(role.arn)} if role.account else {}
