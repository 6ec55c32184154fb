"""A break-glass use: access taken at once, then reviewed by the role's approvers afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.durations import format_duration
from domain.text import escape, utc_label


class Verdict(StrEnum):
    """The review's answer, stored and audited as these values."""

    JUSTIFIED = "justified"
    NOT_JUSTIFIED = "not_justified"

    @property
    def words(self) -> str:
        return "Justified" if self is Verdict.JUSTIFIED else "Not justified"


@dataclass(frozen=True)
class BreakGlassUse:
    """One break-glass use and its review, if anyone has answered it yet."""

    request_id: int
    requester: str
    role: str
    used_at: datetime
    review_channel: str | None = None
    review_ts: str | None = None
    verdict: Verdict | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None

    @property
    def label(self) -> str:
        return f"R-{self.request_id}"


def announcement(label: str, requester: str, role: str, seconds: int, reason: str) -> str:
    """The loud line posted where break-glass is announced."""
    return (f":rotating_light: *Break-glass*: <@{requester}> took `{role}` for "
            f"{format_duration(seconds)} without approval ({label}). Reason: {escape(reason)}")


def review_request(use: BreakGlassUse, deciders: list[str]) -> str:
    """The review prompt in the approval thread, naming who should answer it."""
    who = ", ".join(f"<@{u}>" for u in deciders[:10]) or "a Gatehouse admin"
    return (f"Review needed: was break-glass {use.label} by <@{use.requester}> on `{use.role}` "
            f"justified? {who}: please answer with a button below.")


def reminder(use: BreakGlassUse, deciders: list[str]) -> str:
    """The reminder posted until someone reviews the use."""
    who = ", ".join(f"<@{u}>" for u in deciders[:10]) or "Gatehouse admins"
    return (f":rotating_light: Reminder: break-glass {use.label} by <@{use.requester}> on "
            f"`{use.role}` ({utc_label(use.used_at)}) is not reviewed yet. {who}: mark it "
            "*Justified* or *Not justified* in this thread.")


def reviewed(use: BreakGlassUse) -> str:
    """What the review message says once answered."""
    when = utc_label(use.reviewed_at) if use.reviewed_at else "just now"
    verdict = use.verdict.words if use.verdict else "answered"
    return (f"Break-glass {use.label} by <@{use.requester}> on `{use.role}`: reviewed by "
            f"<@{use.reviewed_by}> at {when}: *{verdict}*.")


def digest_line(use: BreakGlassUse) -> str:
    """One unreviewed use, as the digest lists it."""
    return f"{use.label} {use.role} by {use.requester} at {utc_label(use.used_at)}"
