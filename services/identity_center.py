"""Permission-set grants: an account assignment made for the requester's Identity Center user."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from config import Config, RoleConfig
from config.identity_center import PermissionSetConfig
from domain.audit import SYSTEM
from domain.errors import AwsError, UserError
from domain.identity_center import (
    AssignmentClaims,
    AssignmentKey,
    IdentityCenterUser,
    PermissionSet,
    SessionDeny,
    start_grant,
)
from domain.jobs import JobKind
from domain.requests import AccessRequest, Grant, Status
from services.access_rules import now_label, require_request
from services.ports import AuditLog, JobQueue, RequestStore, SlackPort, UnitOfWork

log = logging.getLogger("gatehouse.identity_center")


class IdentityCenterPort(Protocol):
    """What permission-set grants need from IAM Identity Center (aws/identity_center*.py)."""

    portal_url: str

    def find_user(self, email: str) -> IdentityCenterUser | None: ...

    def permission_set(self, name_or_arn: str) -> PermissionSet | None: ...

    def assignment_exists(self, key: AssignmentKey) -> bool: ...

    def assign(self, key: AssignmentKey) -> None:
        """Create the assignment and follow it until AWS says it is done (AwsError if not)."""
        ...

    def unassign(self, key: AssignmentKey) -> None:
        """Delete the assignment and follow it to the end; an assignment already gone is fine."""
        ...

    def put_session_deny(self, permission_set_arn: str, user_id: str,
                         issued_before: datetime) -> SessionDeny: ...

    def remove_session_deny(self, permission_set_arn: str, user_id: str,
                            issued_before: datetime) -> bool: ...


class AssignmentStore(Protocol):
    """Each assignment's reference count: the live grants needing it, and whether standing."""

    def claims(self, key: AssignmentKey) -> AssignmentClaims | None: ...

    def save(self, key: AssignmentKey, claims: AssignmentClaims | None) -> None: ...

    def key_of(self, grant_id: int) -> AssignmentKey | None: ...


@dataclass(frozen=True)
class GrantSteps:
    """The steps of the grant flow an assignment grant shares with role grants."""

    fail: Callable[[AccessRequest, str, datetime], None]
    fail_grant: Callable[[AccessRequest, Grant, str, datetime], None]
    schedule_jobs: Callable[[Grant, datetime], None]
    settle_warning: Callable[[int, str], None]
    apply_extension: Callable[[AccessRequest, Grant, datetime, datetime], tuple[bool, bool]]


@dataclass(kw_only=True)
class IdentityCenterParts:
    """The ports every Identity Center use case takes, given by name."""

    config: Config
    requests: RequestStore
    jobs: JobQueue
    audit: AuditLog
    uow: UnitOfWork
    slack: SlackPort
    center: IdentityCenterPort
    records: AssignmentStore


class IdentityCenterGrants(IdentityCenterParts):
    """Grant a permission set in an account: assign it, tell the requester, and extend it."""


    def handles(self, name: str) -> bool:
        """True when `name` is a permission set's request name (`prod/admin`)."""
        return isinstance(self.config.role(name), PermissionSetConfig)

    def rule(self, name: str) -> PermissionSetConfig:
        rule = self.config.role(name)
        if not isinstance(rule, PermissionSetConfig):
            raise UserError(f"'{name}' is not a permission set")
        return rule

    def issue(self, steps: GrantSteps, request: AccessRequest, ends: datetime,
              now: datetime) -> None:
        """Assign the permission set to the requester's user; fail in words when it cannot."""
        rule = self.rule(request.role)
        try:
            user = self._user(request)
            key = AssignmentKey(rule.account_id, self._permission_set(rule).arn, user.user_id)
            exists = self.center.assignment_exists(key)
        except UserError as refusal:
            steps.fail(request, str(refusal), now)
            return
        except AwsError as exc:
            steps.fail(request, f"AWS refused the look-up: {exc}", now)
            return
        grant, start = self._start(steps, request, rule, key, user, exists, ends, now)
        if grant is None:
            return
        if start:
            try:
                self.center.assign(key)
            except AwsError as exc:
                steps.fail_grant(request, grant, f"AWS refused the assignment: {exc}", now)
                return
        self.audit.append(at=now, actor=SYSTEM, action="identity_center.assigned",
                          request_id=request.id, role=request.role, subject=request.requester,
                          details={"account_id": key.account_id, "user_id": key.user_id,
                                   "permission_set_arn": key.permission_set_arn,
                                   "created": start})
        self._tell_granted(request, grant, rule, ends)

    def _user(self, request: AccessRequest) -> IdentityCenterUser:
        return self.user_of(request.requester, request.role)

    def user_of(self, requester: str, role: str) -> IdentityCenterUser:
        """The requester's Identity Center user, found by their Slack e-mail; UserError in
        words saying what to ask an admin when there is none."""
        email = self.slack.user_email(requester)
        user = self.center.find_user(email) if email else None
        if user is None:
            found = f"your Slack e-mail ({email})" if email else "an e-mail in your Slack profile"
            raise UserError(
                f"Gatehouse found no IAM Identity Center user with {found}, so it cannot "
                f"assign you {role}. Ask an admin to add you to IAM Identity Center "
                "with that e-mail (or to make your Slack e-mail match your Identity Center "
                "user), then request again.")
        return user

    def check_requester(self, role: RoleConfig, requester: str) -> None:
        """At filing: refuse a permission set to someone with no Identity Center user. When
        the identity store cannot be read now, the request is filed; the grant looks again."""
        if not isinstance(role, PermissionSetConfig):
            return
        try:
            self.user_of(requester, role.name)
        except AwsError as exc:
            log.warning("could not look up the requester in Identity Center",
                        extra={"role": role.name, "error": str(exc)})

    def _permission_set(self, rule: PermissionSetConfig) -> PermissionSet:
        found = self.center.permission_set(rule.permission_set)
        if found is None:
            raise UserError(f"IAM Identity Center has no permission set '{rule.permission_set}' "
                            f"(permission_sets.{rule.name.rsplit('/', 1)[-1]}); ask an admin "
                            "to fix the config")
        return found

    def _start(self, steps: GrantSteps, request: AccessRequest, rule: PermissionSetConfig,
               key: AssignmentKey, user: IdentityCenterUser, exists: bool, ends: datetime,
               now: datetime) -> tuple[Grant | None, bool]:
        """Move the request to active and claim the assignment, in one transaction."""
        with self.uow.transaction():
            if self.requests.move(request.id, Status.ACTIVE, actor=SYSTEM, now=now,
                                  expect=[Status.APPROVED],
                                  details={"ends_at": now_label(ends),
                                           "account_id": rule.account_id,
                                           "permission_set": rule.permission_set}) is None:
                return None, False
            grant = self.requests.create_grant(
                request, role_arn=key.permission_set_arn, started_at=now, ends_at=ends,
                source_identity="", session_name=user.user_name or user.user_id)
            start = start_grant(self.records.claims(key), key, grant.id,
                                assignment_exists=exists)
            self.records.save(key, start.claims)
            steps.schedule_jobs(grant, now)
            self.jobs.cancel(JobKind.ACTIVATE, f"request:{request.id}", now)
            self.requests.update_grant(grant.id, delivered=True)  # no secret to deliver
        return self.requests.grant(grant.id), start.create

    def _tell_granted(self, request: AccessRequest, grant: Grant, rule: PermissionSetConfig,
                      ends: datetime) -> None:
        try:
            channel, ts = self.slack.dm(request.requester, self.granted_text(request, rule, ends))
            self.requests.update_grant(grant.id, dm_channel=channel, dm_ts=ts)
        except Exception as exc:  # no secret in it: the thread and /access list still say it
            log.warning("could not DM the assignment", extra={"request": request.label,
                                                              "error": str(exc)})
        self.slack.thread(request, f"Access granted to <@{request.requester}> until "
                                   f"{now_label(ends)}: {rule.permission_set} in account "
                                   f"{rule.account} ({rule.account_id}).")
        self.slack.refresh_request(require_request(self.requests, request.id),
                                   self.requests.approvers_of(request.id))
        self.slack.home_changed({request.requester})

    def granted_text(self, request: AccessRequest, rule: PermissionSetConfig,
                     ends: datetime) -> str:
        """The DM: where to sign in, which account and permission set; no secret."""
        return (f"{request.label}: you have the permission set *{rule.permission_set}* in "
                f"account *{rule.account}* ({rule.account_id}) until {now_label(ends)}. "
                f"Sign in at the AWS access portal, <{self.center.portal_url}|"
                f"{self.center.portal_url}>, and choose that account and permission set. "
                "Sessions you open there end when this grant ends.")

    def extend(self, steps: GrantSteps, request: AccessRequest, ends: datetime,
               now: datetime) -> None:
        """Extend a live assignment grant: only Gatehouse's end time moves."""
        parent = require_request(self.requests, request.parent_id)
        grant = self.requests.grant(parent.grant_id)
        live, moved = steps.apply_extension(request, grant, ends, now)
        if not moved:
            if not live:
                steps.fail(request, f"{parent.label} ended before the extension was applied",
                           now)
            return
        self.slack.thread(request, f"Extension granted: {parent.label} now ends "
                                   f"{now_label(ends)}.")
        self.slack.thread(parent, f"Extended by {request.label} until {now_label(ends)}.")
        self.slack.dm(request.requester, f"{parent.label}: {request.label} was approved; your "
                                         f"access to {grant.role} now ends at {now_label(ends)}.")
        steps.settle_warning(grant.id, f":white_check_mark: Your access to *{grant.role}* "
                                       f"({parent.label}) was extended by {request.label}; it "
                                       f"now ends at {now_label(ends)}.")
        self.slack.refresh_request(require_request(self.requests, request.id),
                                   self.requests.approvers_of(request.id))
        self.slack.home_changed({request.requester})
