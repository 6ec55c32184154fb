"""The roles people may ask for: ARN, longest grant, approvers, conditions."""

from __future__ import annotations

from datetime import time
from typing import Any

from pydantic import Field, field_validator

from config.fields import (
    MAX_ROLE_SECONDS,
    ROLE_ARN,
    SLACK_APPROVER,
    SLACK_CHANNEL,
    Seconds,
    Strict,
    clock_time,
    slack_id,
)


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


class RoleConfig(Strict):
    name: str = ""
    arn: str
    description: str = ""
    max_duration: Seconds
    approvers: list[str] = Field(default_factory=list)
    approvals_required: int = Field(default=1, ge=1, le=10)
    allow_self_approval: bool = False
    auto_approve: bool = False
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
        if not ROLE_ARN.match(value):
            raise ValueError(
                f"'{value}' is not an IAM role ARN; write arn:aws:iam::123456789012:role/Name"
            )
        return value

    @field_validator("max_duration")
    @classmethod
    def _check_max(cls, value: int) -> int:
        if value < 900 or value > MAX_ROLE_SECONDS:
            raise ValueError("must be between 15m and 12h (the limits of STS AssumeRole)")
        return value

    @field_validator("approvers")
    @classmethod
    def _check_approvers(cls, value: list[str]) -> list[str]:
        return [slack_id(v, SLACK_APPROVER, "a Slack user ID (U…) or user group ID (S…)")
                for v in value]

    @field_validator("channel")
    @classmethod
    def _check_channel(cls, value: str | None) -> str | None:
        return None if value is None else slack_id(value, SLACK_CHANNEL, "a Slack channel ID")
