"""The roles people may ask for: ARN, longest grant, approvers, conditions."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from config.fields import (
    MAX_ROLE_SECONDS,
    ROLE_ARN,
    SLACK_CHANNEL,
    Seconds,
    Strict,
    clock_time,
    slack_id,
    slack_principals,
    sts_seconds,
)
from domain.access_policy import ticket_rule_problems
from domain.accounts import ACCOUNT_NAME, is_selector

ACCOUNT_PLACEHOLDER = "{account}"
ROLE_ARN_TEMPLATE = re.compile(r"^arn:aws[\w-]*:iam::\{account\}:role/[\w+=,.@/-]{1,512}$")


class HoursWindow(Strict):
    """Business hours in the config timezone; a grant stays inside them."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> HoursWindow:
        parts = str(text).split("-")
        if len(parts) != 2:
            raise ValueError(f"'{text}' is not a window; write it as HH:MM-HH:MM, e.g. 08:00-20:00")
        start, end = (clock_time(part.strip()) for part in parts)
        if end == start:  # an end before the start is a window across midnight
            raise ValueError(f"'{text}' starts and ends at the same time; e.g. 08:00-20:00")
        return cls(start=start, end=end)


class Conditions(Strict):
    source_ips: list[str] = Field(default_factory=list)
    hours: HoursWindow | None = None

    @field_validator("hours", mode="before")
    @classmethod
    def _parse_hours(cls, value: Any) -> Any:
        return HoursWindow.parse(value) if isinstance(value, str) else value

    @field_validator("source_ips")
    @classmethod
    def _check_cidrs(cls, value: list[str]) -> list[str]:
        import ipaddress

        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError as exc:
                raise ValueError(f"'{cidr}' is not an IP address or CIDR range") from exc
        return value


class OnCallRule(Strict):
    """Auto-approve when the requester is on call now in one of these PagerDuty schedules."""

    on_call: list[str] = Field(min_length=1)


class BreakGlassConfig(Strict):
    """Who may take access at once, for how long, how often, and where it is announced."""

    allowed: list[str] = Field(min_length=1)
    max_duration: Seconds
    max_per_week: int = Field(default=1, ge=0, le=100)
    channel: str | None = None

    @field_validator("allowed")
    @classmethod
    def _check_allowed(cls, value: list[str]) -> list[str]:
        return slack_principals(value)

    @field_validator("max_duration")
    @classmethod
    def _check_max(cls, value: int) -> int:
        return sts_seconds(value)

    @field_validator("channel")
    @classmethod
    def _check_channel(cls, value: str | None) -> str | None:
        return None if value is None else slack_id(value, SLACK_CHANNEL, "a Slack channel ID")


class RoleConfig(Strict):
    """A role rule from the config; once expanded (Config.roles), one requestable role.

    `arn` may hold `{account}` with `accounts` naming where it exists; expansion gives each
    requestable role its concrete ARN, its request name (`prod/readonly`) and `account`.
    """

    name: str = ""
    arn: str
    accounts: list[str] | None = None  # names, account ids, OU/root ids or "*"
    account: str | None = None  # set by expansion: the name of the role's account
    description: str = ""
    max_duration: Seconds
    approvers: list[str] = Field(default_factory=list)
    approvals_required: int = Field(default=1, ge=1, le=10)
    allow_self_approval: bool = False
    auto_approve: bool | OnCallRule = False
    requesters: list[str] | None = None  # None: anyone may request
    require_ticket: str | None = None  # a regex the reason must contain
    ticket_url: str | None = None  # https://…/{ticket}
    break_glass: BreakGlassConfig | None = None
    channel: str | None = None
    conditions: Conditions = Field(default_factory=Conditions)
    max_total: Seconds = MAX_ROLE_SECONDS  # the grant plus all its extensions

    @field_validator("max_total")
    @classmethod
    def _check_total(cls, value: int) -> int:
        if value < 900:
            raise ValueError("must be at least 15m (the shortest grant STS issues)")
        return value

    @field_validator("arn")
    @classmethod
    def _check_arn(cls, value: str) -> str:
        if not ROLE_ARN.match(value) and not ROLE_ARN_TEMPLATE.match(value):
            raise ValueError(
                f"'{value}' is not an IAM role ARN; write arn:aws:iam::123456789012:role/Name, "
                "or arn:aws:iam::{account}:role/Name with accounts: for a role in many accounts"
            )
        return value

    @field_validator("accounts")
    @classmethod
    def _check_accounts(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("needs at least one account name, OU id or \"*\"")
        for item in value:
            if not ACCOUNT_NAME.match(item) and not is_selector(item):
                raise ValueError(f"'{item}' is not an account name, a 12-digit account id, "
                                 "an OU id (ou-…), a root id (r-…) or \"*\"")
        return value

    @property
    def is_template(self) -> bool:
        """True for a rule across accounts (its ARN holds `{account}`)."""
        return ACCOUNT_PLACEHOLDER in self.arn

    @field_validator("max_duration")
    @classmethod
    def _check_max(cls, value: int) -> int:
        return sts_seconds(value)

    @field_validator("require_ticket", "ticket_url")
    @classmethod
    def _check_ticket_rule(cls, value: str | None, info: ValidationInfo) -> str | None:
        rule = {info.field_name: value}
        problems = ticket_rule_problems(rule.get("require_ticket"), rule.get("ticket_url"))
        if problems:
            raise ValueError(problems[0].removeprefix(f"{info.field_name} "))
        return value

    @field_validator("requesters")
    @classmethod
    def _check_requesters(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        return slack_principals(value)

    @field_validator("approvers")
    @classmethod
    def _check_approvers(cls, value: list[str]) -> list[str]:
        return slack_principals(value)

    @field_validator("channel")
    @classmethod
    def _check_channel(cls, value: str | None) -> str | None:
        return None if value is None else slack_id(value, SLACK_CHANNEL, "a Slack channel ID")
