"""Access requests and the state machine every change of status goes through."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    DENIED = "denied"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES

    @property
    def is_final(self) -> bool:
        return not TRANSITIONS.get(self)


class Kind(StrEnum):
    ACCESS = "access"
    EXTEND = "extend"
    KEY = "key"


OPEN_STATUSES = frozenset({Status.PENDING, Status.APPROVED, Status.ACTIVE})

# (from, to) -> audit action written for that move.
TRANSITIONS: dict[Status, dict[Status, str]] = {
    Status.PENDING: {
        Status.APPROVED: "request.approved",
        Status.DENIED: "request.denied",
        Status.CANCELLED: "request.cancelled",
        Status.EXPIRED: "request.expired",
        Status.FAILED: "request.failed",
    },
    Status.APPROVED: {
        Status.ACTIVE: "grant.activated",
        Status.CANCELLED: "request.cancelled",  # a scheduled start not reached yet
        Status.FAILED: "request.failed",
    },
    Status.ACTIVE: {
        Status.EXPIRED: "grant.expired",
        Status.REVOKED: "grant.revoked",
        Status.FAILED: "grant.failed",
    },
}


class IllegalTransition(Exception):
    """A move the state machine does not allow, such as approving a denied request."""


@dataclass(frozen=True)
class AccessRequest:
    """One request for access to a role (or an extension, or a key rotation)."""

    id: int
    kind: Kind
    requester: str
    role: str
    duration_seconds: int
    reason: str
    status: Status
    created_at: datetime
    approvals_required: int = 1
    channel: str | None = None
    message_ts: str | None = None
    parent_id: int | None = None
    grant_id: int | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str | None = None
    target_user: str | None = None
    approvers: tuple[str, ...] = field(default_factory=tuple)
    starts_at: datetime | None = None  # a scheduled start; None: as soon as approved

    @property
    def label(self) -> str:
        return format_request_id(self.id)

    def waits_for_start(self, now: datetime) -> bool:
        """Whether the request's scheduled start is still ahead of `now`."""
        return self.starts_at is not None and self.starts_at > now


def transition(request: AccessRequest, to: Status) -> tuple[AccessRequest, str]:
    """Return the request in its new status and the audit action naming the move."""
    action = TRANSITIONS.get(request.status, {}).get(to)
    if action is None:
        raise IllegalTransition(
            f"{request.label} is {request.status.value}; it cannot become {to.value}"
        )
    return replace(request, status=to), action


# A key-rotation request holds no grant: its active phase is the rotation itself.
KEY_ACTIONS = {"grant.activated": "key.rotation_started", "grant.expired": "key.rotation_finished",
               "grant.revoked": "key.rotation_stopped", "grant.failed": "key.rotation_failed"}


def audit_action(from_status: Status, to_status: Status, kind: Kind = Kind.ACCESS) -> str:
    """The audit action for a legal move; raise IllegalTransition otherwise."""
    action = TRANSITIONS.get(from_status, {}).get(to_status)
    if action is None:
        raise IllegalTransition(f"a {from_status.value} request cannot become {to_status.value}")
    return KEY_ACTIONS.get(action, action) if kind is Kind.KEY else action


_REQUEST_ID = re.compile(r"^\s*R-?(\d{1,9})\s*$", re.IGNORECASE)


def format_request_id(number: int) -> str:
    return f"R-{number}"


def parse_request_id(text: str) -> int | None:
    """`R-42`, `r42` or `42` -> 42; anything else -> None."""
    match = _REQUEST_ID.match(text) or re.match(r"^\s*(\d{1,9})\s*$", text)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class Grant:
    """Time-boxed access issued for a request; extensions move its end."""

    id: int
    request_id: int
    requester: str
    role: str
    role_arn: str
    started_at: datetime
    ends_at: datetime
    source_identity: str
    session_name: str
    delivered: bool = False
    dm_channel: str | None = None
    dm_ts: str | None = None
    ended_at: datetime | None = None
    end_status: Status | None = None
    warning_channel: str | None = None  # the pre-expiry warning DM, once sent
    warning_ts: str | None = None

    @property
    def is_live(self) -> bool:
        return self.ended_at is None
