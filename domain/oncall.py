"""Whether a person is on call now, as an on-call service answered: yes, no, or unknown and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class OnCallNow:
    """The person is on call now in this schedule."""

    schedule_id: str
    schedule_name: str | None = None

    def words(self) -> str:
        """`auto-approved: on call in <schedule>` reads this."""
        name = self.schedule_name
        return f"{name} ({self.schedule_id})" if name else self.schedule_id


@dataclass(frozen=True)
class NotOnCall:
    """The person is on call in none of the schedules asked about."""

    schedule_ids: tuple[str, ...]


@dataclass(frozen=True)
class OnCallUnknown:
    """The on-call service could not answer; `reason` says why in words, with no secret."""

    reason: str


OnCallAnswer = OnCallNow | NotOnCall | OnCallUnknown


class OnCallDirectory(Protocol):
    """Answers whether the person with this e-mail is on call now in one of the schedules."""

    def on_call(self, email: str, schedule_ids: Sequence[str]) -> OnCallAnswer: ...
