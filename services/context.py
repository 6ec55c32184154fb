"""What every use case shares: config, repository, job queue and the two edges."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from aws.errors import AwsError
from config import Config, RoleConfig
from domain.errors import UserError
from domain.policy import ApprovalRule, expand_approvers, grant_limit
from domain.requests import AccessRequest, Kind
from services.ports import AwsPort, SlackPort
from storage.audit import AuditLog
from storage.jobs import JobQueue
from storage.repository import Repository

SYSTEM = "gatehouse"
log = logging.getLogger("gatehouse.services")


@dataclass
class Context:
    config: Config
    repo: Repository
    jobs: JobQueue
    audit: AuditLog
    slack: SlackPort
    aws: AwsPort
    _role_limits: dict[str, int | None] = field(default_factory=dict)

    def role(self, name: str) -> RoleConfig:
        role = self.config.role(name)
        if role is None:
            raise UserError(
                f"There is no role called '{name}'. Roles you can request: "
                f"{', '.join(sorted(self.config.roles))}."
            )
        return role

    def request(self, request_id: int) -> AccessRequest:
        request = self.repo.get(request_id)
        if request is None:
            raise UserError(f"There is no request R-{request_id}. `/access list` shows yours.")
        return request

    def rule(self, role: RoleConfig) -> ApprovalRule:
        groups = {e: self.slack.group_members(e) for e in role.approvers if e.startswith("S")}
        return ApprovalRule(
            approvers=expand_approvers(role.approvers, groups),
            admins=frozenset(self.config.admins),
            approvals_required=role.approvals_required,
            allow_self_approval=role.allow_self_approval,
        )

    def is_admin(self, user: str) -> bool:
        return user in self.config.admins

    def limit(self, role: RoleConfig, *, fresh: bool = False) -> int:
        """Longest grant for `role`: config, IAM MaxSessionDuration and role chaining."""
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


def now_label(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
