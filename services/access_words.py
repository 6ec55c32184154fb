"""The access use cases' answers in words: reasons checked, duplicates and totals explained."""

from __future__ import annotations

from datetime import datetime, time, tzinfo

from domain.audit import SYSTEM
from domain.durations import format_duration
from domain.errors import UserError
from domain.policy import STS_MIN_SECONDS, PolicyRefusal, window_end
from domain.requests import AccessRequest, Status
from domain.text import utc_label

MAX_REASON = 500


def clean_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise UserError("A reason is required, so approvers know why. Write: "
                        "`/access request <role> <duration> <reason…>`")
    if len(reason) > MAX_REASON:
        raise UserError(f"The reason is {len(reason)} characters; keep it under {MAX_REASON}.")
    return reason


def past_total(request: AccessRequest, role: str, max_total: int, room: int) -> str:
    limit = (f"{request.label} may last {format_duration(max_total)} in all, extensions "
             f"included (the max_total of {role})")
    if room < STS_MIN_SECONDS:
        return f"{limit}, and it has reached that: it cannot be extended. Request access again."
    return f"{limit}: an extension can add at most {format_duration(room)}."


def duplicate_message(existing: AccessRequest) -> str:
    if existing.status is Status.ACTIVE:
        return (f"You already hold {existing.label} for {existing.role} (active). For more time, "
                f"write `/access extend {existing.label} <duration> <reason>`.")
    return (f"You already have {existing.label} for {existing.role} ({existing.status.value}). "
            f"Wait for it, or cancel it with `/access cancel {existing.label}`.")


def who(user: str) -> str:
    return "Gatehouse (auto-approval)" if user == SYSTEM else f"<@{user}>"


def starts_words(start: datetime) -> str:
    """`starts at 2026-12-01 09:00 UTC`."""
    return f"starts at {utc_label(start)}"


def check_hours(start: datetime, hours: tuple[time, time], zone: tzinfo, *,
                scheduled: bool) -> None:
    """Raise unless `start` is inside the role's hours; a scheduled start is named as such."""
    try:
        window_end(start, hours, zone)
    except PolicyRefusal as refusal:
        if not scheduled:
            raise
        raise PolicyRefusal(
            f"This role can only be granted between {hours[0]:%H:%M} and {hours[1]:%H:%M} "
            f"({getattr(zone, 'key', zone)}); the start you asked for is "
            f"{start.astimezone(zone):%H:%M} there. Pick a start inside those hours.") from refusal
