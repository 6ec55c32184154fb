"""Which roles exist, who decides a request, where it is posted, how long a grant may last."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from config import Config, RoleConfig
from domain.access_explain import explain
from domain.access_policy import (
    AccessPolicy,
    AutoApproval,
    BreakGlass,
    GroupLookup,
    GroupUnreadable,
    Principals,
    check_decider,
    check_requester,
    find_ticket,
    read_groups,
)
from domain.errors import AwsError, UserError
from domain.oncall import OnCallDirectory, OnCallNow, OnCallUnknown
from domain.policy import ApprovalRule, check_approver, expand_approvers, grant_limit
from domain.requests import AccessRequest, Grant, Kind
from domain.text import utc_label
from services.ports import AwsPort, RequestStore

log = logging.getLogger("gatehouse.services")
GroupMembers = Callable[..., list[str]]  # (group, fresh=False) -> user ids
GroupHandles = Callable[[], Mapping[str, str]]  # group id -> handle, such as sre
# Raises UserError when the requester cannot be given the role at all (no Identity Center user)
RequesterCheck = Callable[[RoleConfig, str], None]


class AccessRules:
    """The config's roles and approvers, with Slack user groups expanded and role limits cached."""

    def __init__(self, config: Config, group_members: GroupMembers, aws: AwsPort, *,
                 on_call: OnCallDirectory | None = None,
                 user_email: Callable[[str], str | None] | None = None,
                 group_handles: GroupHandles | None = None,
                 requester_check: RequesterCheck | None = None) -> None:
        self.config = config
        self.group_handles = group_handles
        self.requester_check = requester_check
        self.on_call = on_call
        self.user_email = user_email
        self.group_members = group_members
        self.aws = aws
        self._role_limits: dict[str, int | None] = {}

    def role(self, name: str) -> RoleConfig:
        role = self.config.role(name)
        if role is None:
            raise UserError(
                f"There is no role called '{name}'. Roles you can request: "
                f"{', '.join(sorted(self.config.roles))}."
            )
        return role

    def rule(self, role: RoleConfig) -> ApprovalRule:
        groups = {e: self.group_members(e) for e in role.approvers if e.startswith("S")}
        return ApprovalRule(
            approvers=expand_approvers(role.approvers, groups),
            admins=frozenset(self.config.admins),
            approvals_required=role.approvals_required,
            allow_self_approval=role.allow_self_approval,
        )

    def may_decide_now(self, role: RoleConfig, user: str) -> bool:
        """Whether `user` may decide on `role` now: user groups are read from Slack at this
        moment, never from a cache; a group that cannot be read fails closed, in words."""
        if self.is_admin(user) or user in role.approvers:
            return True
        unreadable = []
        for group in (e for e in role.approvers if e.startswith("S")):
            try:
                if user in self.group_members(group, fresh=True):
                    return True
            except Exception as exc:  # any failure to read is a closed door
                log.warning("could not read a user group", extra={"group": group,
                                                                  "error": str(exc)})
                unreadable.append(group)
        if unreadable:
            groups = ", ".join(f"<!subteam^{g}>" for g in unreadable)
            raise UserError(f"Gatehouse could not read the Slack user group {groups} just now, "
                            "so it cannot tell whether you may decide on this; nothing was "
                            "changed. Try again in a minute, or ask an admin.")
        return False

    def check_decider(self, request: AccessRequest, user: str) -> None:
        """Raise unless `user` may approve, deny or review `request`: the one deciders check,
        with the role's approver groups read from Slack at this moment."""
        if request.kind is Kind.KEY or self.config.role(request.role) is None:
            check_approver(self.rule_for(request), user, request.requester)
            return
        policy = self.policy(self.role(request.role))
        lookup = read_groups(policy.approvers.groups, group_fetcher(self.group_members))
        check_decider(policy, user, request.requester, lookup)

    def policy(self, role: RoleConfig) -> AccessPolicy:
        """`role`'s rules as the domain reads them."""
        return role_policy(role, self.config)

    def read_groups(self, policy: AccessPolicy) -> GroupLookup:
        """The members of every user group `policy` names, read from Slack now."""
        return read_groups_now(policy, self.group_members)

    def explain(self, name: str) -> str:
        """`/access who-can <role>`: the role's rules in words, groups read now."""
        return explain_role(self.config, name, self.group_members, self.group_handles)

    def check_filing(self, role: RoleConfig, user: str, reason: str) -> dict[str, str]:
        """Raise unless `user` may request `role` with `reason`; the ticket found, for the audit."""
        policy = self.policy(role)
        if policy.requesters is not None:
            check_requester(policy, user, self.read_groups(policy))
        if self.requester_check is not None:
            self.requester_check(role, user)
        ticket = find_ticket(policy, reason)
        if ticket is None:
            return {}
        return {"ticket": ticket.key, **({"ticket_url": ticket.url} if ticket.url else {})}

    def auto_approval(self, role: RoleConfig, requester: str) -> tuple[str | None, str | None]:
        """(the note to approve with, or why the approvers decide though the role auto-approves)."""
        rule = role.auto_approve
        if rule is True:
            return "auto-approved", None
        if not rule:
            return None, None
        if self.on_call is None:
            return None, ("On-call auto-approval is set for this role, but PAGERDUTY_API_TOKEN is "
                          "not set, so the approvers decide.")
        email = self.user_email(requester) if self.user_email else None
        if not email:
            return None, (f"<@{requester}> has no e-mail in Slack to look up in PagerDuty, so "
                          "the approvers decide.")
        answer = self.on_call.on_call(email, rule.on_call)
        if isinstance(answer, OnCallNow):
            return f"auto-approved: on call in {answer.words()}", None
        if isinstance(answer, OnCallUnknown):
            return None, (f"PagerDuty could not be reached ({answer.reason}), so the approvers "
                          "decide.")
        return None, None

    def is_admin(self, user: str) -> bool:
        return user in self.config.admins

    def decides_anything(self, user: str) -> bool:
        """Admins, and anyone who may approve at least one role."""
        return self.is_admin(user) or any(self.rule(role).may_decide(user)
                                          for role in self.config.roles.values())

    def limit(self, role: RoleConfig, *, fresh: bool = False) -> int:
        """Longest grant for `role`: config, IAM MaxSessionDuration and role chaining."""
        if not role.arn:  # a permission set: no STS session, Gatehouse alone bounds it
            return role.max_duration
        if fresh or role.name not in self._role_limits:
            try:
                self._role_limits[role.name] = self.aws.role_max_seconds(role.arn)
            except AwsError as exc:
                if exc.code == "NoSuchEntity":
                    raise UserError(f"AWS says the role {role.arn} does not exist; "
                                    "ask an admin to fix the config") from None
                log.warning("could not read MaxSessionDuration", extra={"role": role.name,
                                                                       "error": str(exc)})
                self._role_limits.setdefault(role.name, None)
        return grant_limit(role.max_duration, self._role_limits[role.name],
                           self.aws.role_chaining())

    @staticmethod
    def room_left(grant: Grant, role: RoleConfig) -> int:
        """Seconds extensions may still add to `grant`: the role's max_total less its length."""
        total_end = grant.started_at + timedelta(seconds=role.max_total)
        return max(0, int((total_end - grant.ends_at).total_seconds()))

    def forget_limits(self) -> None:
        """Read every role's MaxSessionDuration from IAM again on next use."""
        self._role_limits.clear()

    def rule_for(self, request: AccessRequest) -> ApprovalRule:
        """Who decides on `request`: the role's rule; admins alone for key rotations."""
        if request.kind is Kind.KEY:
            return ApprovalRule(approvers=frozenset(), admins=frozenset(self.config.admins))
        return self.rule(self.role(request.role))

    def channel_for(self, request: AccessRequest) -> str:
        role = self.config.role(request.role) if request.kind is not Kind.KEY else None
        return self.config.channel_for(role) if role else self.config.approvals_channel

    def decision_makers(self, request: AccessRequest) -> list[str]:
        if request.kind is not Kind.KEY and self.config.role(request.role) is None:
            return list(self.config.admins)
        rule = self.rule_for(request)
        people = sorted(rule.approvers | rule.admins)
        if not rule.allow_self_approval:
            people = [p for p in people if p != request.requester]
        return people


def read_groups_now(policy: AccessPolicy, group_members: GroupMembers,
                    group_handles: GroupHandles | None = None) -> GroupLookup:
    """Read each user group of `policy` from Slack now; a failure marks the group unreadable.

    `group_handles` names the groups (`@sre`); when it cannot, groups are shown by id.
    """
    names: Mapping[str, str] = {}
    if group_handles is not None and policy.groups():
        try:
            names = group_handles()
        except Exception as exc:  # names are a courtesy: the ids still say who
            log.warning("could not read user group names", extra={"error": str(exc)})
    return read_groups(policy.groups(), group_fetcher(group_members), names)


def group_fetcher(group_members: GroupMembers) -> Callable[[str], list[str]]:
    """Members of one group read from Slack now; any failure raises GroupUnreadable."""
    def fetch(group: str) -> list[str]:
        try:
            return group_members(group, fresh=True)
        except GroupUnreadable:
            raise
        except Exception as exc:  # any failure to read is a closed door
            log.warning("could not read a user group", extra={"group": group,
                                                              "error": str(exc)})
            response = getattr(exc, "response", None)
            code = response.get("error") if hasattr(response, "get") else None
            raise GroupUnreadable(code or type(exc).__name__) from None
    return fetch


def explain_role(config: Config, name: str, group_members: GroupMembers,
                 group_handles: GroupHandles | None = None) -> str:
    """Who may request and who decides `name`, in the words of domain.access_explain."""
    role = config.role(name.lower())
    if role is None:
        raise UserError(f"There is no role called '{name}'. The roles are: "
                        f"{', '.join(sorted(config.roles))}.")
    policy = role_policy(role, config)
    return explain(policy, read_groups_now(policy, group_members, group_handles))


def role_policy(role: RoleConfig, config: Config) -> AccessPolicy:
    """Turn a role of the config into the domain's AccessPolicy."""
    auto = role.auto_approve
    glass = role.break_glass
    hours = role.conditions.hours
    return AccessPolicy(
        name=role.name, max_duration=role.max_duration, admins=frozenset(config.admins),
        description=role.description,
        requesters=None if role.requesters is None else Principals.of(role.requesters),
        approvers=Principals.of(role.approvers), approvals_required=role.approvals_required,
        allow_self_approval=role.allow_self_approval,
        auto_approve=AutoApproval(always=True) if auto is True else
        AutoApproval(on_call=tuple(auto.on_call)) if auto else AutoApproval(),
        require_ticket=role.require_ticket, ticket_url=role.ticket_url,
        max_total=role.max_total,
        break_glass=None if glass is None else BreakGlass(
            Principals.of(glass.allowed), glass.max_duration, glass.max_per_week, glass.channel),
        hours=(hours.start, hours.end) if hours else None, timezone=config.timezone)


def require_request(requests: RequestStore, request_id: int) -> AccessRequest:
    request = requests.get(request_id)
    if request is None:
        raise UserError(f"There is no request R-{request_id}. `/access list` shows yours.")
    return request


def now_label(moment: datetime) -> str:
    return utc_label(moment)
