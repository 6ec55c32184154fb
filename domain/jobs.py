"""Stored jobs: each kind of job, its typed payload, and a job as the queue returns it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol


class JobKind(StrEnum):
    """Every kind of stored job; the values are the action names stored in the `jobs` table."""

    ANNOUNCE = "announce"  # post a request Gatehouse stopped before posting
    ACTIVATE = "activate"  # an approved request gets its grant
    EXPIRE_PENDING = "expire_pending"  # nobody decided in time
    REMIND = "remind"  # nudge the approvers who have not voted
    EXPIRE_GRANT = "expire_grant"  # a grant's time is up
    WARN_EXPIRY = "warn_expiry"  # tell the holder their grant ends soon
    CHECK_DELIVERY = "check_delivery"  # credentials that never reached the requester
    REVOKE_DENY = "revoke_deny"  # attach the deny that stops issued credentials
    SCRUB_DM = "scrub_dm"  # remove credentials from the requester's DM
    REMOVE_DENY = "remove_deny"  # detach a deny once the credentials it stops have expired
    KEY_RECOVER = "key_recover"  # withdraw a rotation that stopped before delivery
    KEY_CONCEAL = "key_conceal"  # hide a delivered secret after an hour
    KEY_DEACTIVATE = "key_deactivate"  # deactivate the old key after the grace period
    KEY_DELETE = "key_delete"  # delete the deactivated old key
    IC_UNASSIGN = "ic_unassign"  # delete an account assignment no Gatehouse grant needs now
    IC_SESSION_DENY = "ic_session_deny"  # end a revoked user's open permission-set sessions
    IC_LIFT_DENY = "ic_lift_deny"  # lift that deny once no such session can remain
    BREAKGLASS_REMIND = "breakglass_remind"  # ask the approvers again to review a break-glass

    @property
    def at_most_once(self) -> bool:
        """Jobs that notify people are marked done before they run: never twice."""
        return self in (JobKind.REMIND, JobKind.WARN_EXPIRY, JobKind.BREAKGLASS_REMIND)


class JobPayload(Protocol):
    """What a job carries beyond its request or grant id, stored as JSON."""

    kinds: ClassVar[frozenset[JobKind]]

    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class NoPayload:
    """Jobs whose request or grant id is all they need."""

    kinds: ClassVar[frozenset[JobKind]] = frozenset({
        JobKind.ANNOUNCE, JobKind.ACTIVATE, JobKind.EXPIRE_PENDING, JobKind.REMIND,
        JobKind.EXPIRE_GRANT, JobKind.WARN_EXPIRY, JobKind.CHECK_DELIVERY,
        JobKind.BREAKGLASS_REMIND})

    def to_dict(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NoPayload:
        return cls()


@dataclass(frozen=True)
class RevokeDenyJob:
    """`issued_before`: the ISO cut-off before which issued credentials stop working."""

    issued_before: str
    kinds: ClassVar[frozenset[JobKind]] = frozenset({JobKind.REVOKE_DENY})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RevokeDenyJob:
        return cls(issued_before=data["issued_before"])


@dataclass(frozen=True)
class ScrubDmJob:
    """`ended`: how the grant ended, in words, for the scrubbed DM."""

    ended: str
    kinds: ClassVar[frozenset[JobKind]] = frozenset({JobKind.SCRUB_DM})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScrubDmJob:
        return cls(ended=data["ended"])


@dataclass(frozen=True)
class RemoveDenyJob:
    """The deny policy to detach from a role, and the cut-off it was written with."""

    role_arn: str
    policy_name: str
    issued_before: str | None = None
    kinds: ClassVar[frozenset[JobKind]] = frozenset({JobKind.REMOVE_DENY})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RemoveDenyJob:
        return cls(role_arn=data["role_arn"], policy_name=data["policy_name"],
                   issued_before=data.get("issued_before"))

    def cutoff(self) -> datetime | None:
        if not self.issued_before:
            return None
        return datetime.fromisoformat(self.issued_before.replace("Z", "+00:00"))


@dataclass(frozen=True)
class RotationJob:
    """`rotation`: the id of the key rotation the step belongs to (0 when missing)."""

    rotation: int
    kinds: ClassVar[frozenset[JobKind]] = frozenset({
        JobKind.KEY_RECOVER, JobKind.KEY_CONCEAL, JobKind.KEY_DEACTIVATE, JobKind.KEY_DELETE})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RotationJob:
        return cls(rotation=int(data.get("rotation", 0)))


@dataclass(frozen=True)
class AssignmentJob:
    """One account assignment: the account, the permission set and the identity-store user."""

    account_id: str
    permission_set_arn: str
    user_id: str
    kinds: ClassVar[frozenset[JobKind]] = frozenset({JobKind.IC_UNASSIGN})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AssignmentJob:
        return cls(account_id=data["account_id"], permission_set_arn=data["permission_set_arn"],
                   user_id=data["user_id"])


@dataclass(frozen=True)
class SessionDenyJob:
    """A user's deny on a permission set, with its ISO cut-off (sessions issued before it)."""

    permission_set_arn: str
    user_id: str
    issued_before: str
    kinds: ClassVar[frozenset[JobKind]] = frozenset({JobKind.IC_SESSION_DENY,
                                                     JobKind.IC_LIFT_DENY})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionDenyJob:
        return cls(permission_set_arn=data["permission_set_arn"], user_id=data["user_id"],
                   issued_before=data["issued_before"])

    def cutoff(self) -> datetime:
        return datetime.fromisoformat(self.issued_before.replace("Z", "+00:00"))


PAYLOAD_TYPES: tuple[type[Any], ...] = (NoPayload, RevokeDenyJob, ScrubDmJob, RemoveDenyJob,
                                        RotationJob, AssignmentJob, SessionDenyJob)


def payload_dict(kind: str, payload: JobPayload | dict[str, Any] | None) -> dict[str, Any]:
    """The JSON-ready payload of a job of `kind`; a typed payload must be the kind's own."""
    if payload is None or isinstance(payload, dict):
        return dict(payload or {})
    if kind not in payload.kinds:
        raise TypeError(f"{type(payload).__name__} is not the payload of {kind} jobs")
    return payload.to_dict()


@dataclass(frozen=True)
class Job:
    id: int
    action: str
    due_at: datetime
    key: str
    request_id: int | None
    grant_id: int | None
    payload: dict[str, Any]
    attempts: int

    @property
    def kind(self) -> JobKind | None:
        """The job's kind; None for an action this version does not know."""
        return JobKind(self.action) if self.action in JobKind._value2member_map_ else None
