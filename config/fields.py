"""What every part of the config shares: its error, strict models, durations, times, ids."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from domain.durations import parse_duration

MAX_ROLE_SECONDS = 12 * 3600
ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_APPROVER = re.compile(r"^[UWS][A-Z0-9]{2,}$")
SLACK_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{2,}$")
IAM_USER_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ConfigError(Exception):
    """The config file or environment cannot be used; `problems` has one line per key."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _seconds(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a duration such as 15m, 2h, 1h30m or 7d")
    if isinstance(value, int):
        return value
    return parse_duration(str(value))


Seconds = Annotated[int, BeforeValidator(_seconds)]


def clock_time(value: str) -> time:
    match = CLOCK.match(str(value))
    if not match:
        raise ValueError(f"'{value}' is not a time of day; write it as HH:MM, e.g. 09:00")
    return time(int(match.group(1)), int(match.group(2)))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


def slack_id(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise ValueError(f"'{value}' is not {what}")
    return value


def slack_principals(values: list[str]) -> list[str]:
    """Slack user and user-group ids, as approvers, requesters and break-glass lists take them."""
    return [slack_id(v, SLACK_APPROVER, "a Slack user ID (U…) or user group ID (S…)")
            for v in values]


def sts_seconds(value: int) -> int:
    """A duration one STS session can last: 15 minutes to 12 hours."""
    if value < 900 or value > MAX_ROLE_SECONDS:
        raise ValueError("must be between 15m and 12h (the limits of STS AssumeRole)")
    return value
