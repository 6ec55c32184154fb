"""Who may approve, how long a grant may last, and when it may run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone, tzinfo

from domain.durations import format_duration
from domain.errors import UserError

STS_MIN_SECONDS = 900
STS_MAX_SECONDS = 12 * 3600
ROLE_CHAINING_MAX_SECONDS = 3600


class PolicyRefusal(UserError):
    """A request or decision the rules refuse; the message says why and what to do."""


@dataclass(frozen=True)
class ApprovalRule:
    """The approval settings of one role, free of config types."""

    approvers: frozenset[str]
    admins: frozenset[str]
    approvals_required: int = 1
    allow_self_approval: bool = False

    def may_decide(self, user: str) -> bool:
        return user in self.admins or user in self.approvers


def check_approver(rule: ApprovalRule, user: str, requester: str) -> None:
    """Raise PolicyRefusal unless `user` may approve or deny this request."""
    if user == requester and not rule.allow_self_approval:
        raise PolicyRefusal("You cannot decide on your own request; another approver must.")
    if not rule.may_decide(user):
        raise PolicyRefusal("Only this role's approvers and Gatehouse admins can decide on it.")


def expand_approvers(entries: Iterable[str], group_members: dict[str, list[str]]) -> frozenset[str]:
    """Replace user group ids (S…) with their members."""
    users: set[str] = set()
    for entry in entries:
        users.update(group_members.get(entry, []) if entry.startswith("S") else [entry])
    return frozenset(users)


def grant_limit(role_max: int, iam_max: int | None, role_chaining: bool) -> int:
    """The longest grant allowed: config limit, the role's MaxSessionDuration, role chaining."""
    limit = min(role_max, STS_MAX_SECONDS)
    if iam_max:
        limit = min(limit, iam_max)
    if role_chaining:
        limit = min(limit, ROLE_CHAINING_MAX_SECONDS)
    return limit


def check_duration(seconds: int, limit: int, role: str) -> None:
    """Raise PolicyRefusal when `seconds` is outside what STS and the role allow."""
    if seconds < STS_MIN_SECONDS:
        raise PolicyRefusal(
            f"{format_duration(seconds)} is too short: AWS grants at least 15m. "
            f"Ask for 15m to {format_duration(limit)}."
        )
    if seconds > limit:
        raise PolicyRefusal(
            f"{format_duration(seconds)} is over the limit for {role}: "
            f"ask for {format_duration(limit)} or less."
        )


def window_end(now: datetime, hours: tuple[time, time] | None, zone: tzinfo) -> datetime | None:
    """End of the hours window `now` is in, or None when there is no window.

    A window whose end is before its start crosses midnight ("20:00-08:00"): a grant at
    23:00 ends at 08:00 the next morning, one at 02:00 at 08:00 the same morning.
    Raises PolicyRefusal when `now` is outside the window.
    """
    if hours is None:
        return None
    start, end = hours
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    overnight = end < start
    inside = (clock >= start or clock < end) if overnight else start <= clock < end
    if not inside:
        span = " (overnight)" if overnight else ""
        raise PolicyRefusal(
            f"This role can only be granted between {start:%H:%M} and {end:%H:%M}{span} "
            f"({getattr(zone, 'key', zone)}); it is {local:%H:%M} there now."
        )
    day = local.date() + timedelta(days=1) if overnight and clock >= start else local.date()
    closing = datetime.combine(day, end, tzinfo=zone)
    return closing.astimezone(timezone.utc)


def grant_end(now: datetime, seconds: int, closing: datetime | None) -> datetime:
    """When a grant starting `now` for `seconds` ends, clipped to the window's end."""
    natural = now + timedelta(seconds=seconds)
    return min(natural, closing) if closing else natural
