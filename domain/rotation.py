"""Access-key rotation: its states, the moves between them, and the rules for choosing keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import UserError
from domain.iam import AccessKey, IamUser
from domain.text import utc_label

MAX_KEYS = 2  # IAM allows two access keys per user
SECRET_LIFETIME = timedelta(hours=1)  # the DM loses the secret after this, stored or not
WARNING_NOTICE = timedelta(hours=4)  # after an "old key still used" warning, until deactivation
POSTPONEMENT = timedelta(hours=24)
MAX_POSTPONEMENTS = 3
AUDIT_ROLE = "access-key"  # the audit log's role column for every key-rotation entry


class RotationState(StrEnum):
    CREATING = "creating"  # stored before CreateAccessKey; the key may or may not exist
    CREATED = "created"  # the new key exists; its secret lives only in memory until the DM
    DELIVERED = "delivered"  # the holder has the new key; the old one is in its grace period
    DEACTIVATED = "deactivated"  # the old key is inactive and waits to be deleted
    COMPLETED = "completed"  # the new key is the holder's only key
    FAILED = "failed"  # stopped before delivery; nothing was left behind

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATES


OPEN_STATES = frozenset({RotationState.CREATING, RotationState.CREATED,
                         RotationState.DELIVERED, RotationState.DEACTIVATED})
UNDELIVERED = frozenset({RotationState.CREATING, RotationState.CREATED})

# (from, to) -> the audit action written for that move.
TRANSITIONS: dict[RotationState, dict[RotationState, str]] = {
    RotationState.CREATING: {RotationState.CREATED: "key.created",
                             RotationState.FAILED: "key.failed"},
    RotationState.CREATED: {RotationState.DELIVERED: "key.delivered",
                            RotationState.FAILED: "key.orphan_deleted"},
    RotationState.DELIVERED: {RotationState.DEACTIVATED: "key.deactivated",
                              RotationState.COMPLETED: "key.rotated"},
    RotationState.DEACTIVATED: {RotationState.COMPLETED: "key.deleted"},
}


class IllegalMove(Exception):
    """A move the rotation state machine does not allow, such as delivering twice."""


@dataclass(frozen=True)
class Rotation:
    """One rotation of one IAM user's access key, as stored."""

    id: int
    holder: str  # the Slack user whose key it is
    requested_by: str
    iam_user: str
    state: RotationState
    started_at: datetime
    keys_before: tuple[str, ...] = ()
    old_key_id: str | None = None
    new_key_id: str | None = None
    new_key_created: datetime | None = None
    request_id: int | None = None
    owner: str = ""  # which running Gatehouse started it; another one may recover it
    dm_channel: str | None = None
    dm_ts: str | None = None
    secret_shown: bool = False
    deactivate_at: datetime | None = None
    delete_at: datetime | None = None
    warned: bool = False
    postponements: int = 0
    refused_step: str | None = None  # the step AWS last refused, reported once
    note: str | None = None
    warning_channel: str | None = None  # the "old key still in use" DM, updated when it is moot
    warning_ts: str | None = None
    reactivated_at: datetime | None = None  # the old key was found active again at deletion
    account: str | None = None  # the account id of the IAM user; None: Gatehouse's own

    @property
    def for_someone_else(self) -> bool:
        return self.requested_by != self.holder


@dataclass(frozen=True)
class RotationPlan:
    """Which keys exist before the new one, and which of them the rotation retires."""

    keys_before: tuple[str, ...]
    old_key_id: str | None


class MappingStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


@dataclass(frozen=True)
class KeyMapping:
    """The IAM user a Slack user's keys belong to, recorded the first time it was used."""

    slack_user: str
    iam_user: str
    iam_user_id: str
    recorded_at: datetime

    def is_user(self, user: IamUser) -> bool:
        """Same name, and same unique id when both are known (a re-created user is not)."""
        same_id = not (self.iam_user_id and user.user_id) or self.iam_user_id == user.user_id
        return self.iam_user == user.name and same_id


@dataclass(frozen=True)
class MappingChange:
    """The tag now names another IAM user than the recorded one; an admin decides."""

    id: int
    slack_user: str
    old_iam_user: str | None
    new_iam_user: str
    new_iam_user_id: str
    status: MappingStatus
    requested_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    channel: str | None = None
    message_ts: str | None = None
    account: str | None = None  # the account id of both IAM users; None: Gatehouse's own


class RotationInProgress(UserError):
    """Another rotation of the same IAM user is still open."""


class KeySlotsFull(UserError):
    """The IAM user already has two keys; `inactive` are those that may be deleted first."""

    def __init__(self, message: str, keys: Sequence[AccessKey],
                 account: str | None = None) -> None:
        super().__init__(message)
        self.account = account  # the id of the account the keys are in (None: Gatehouse's own)
        self.keys = tuple(keys)
        self.inactive = tuple(key for key in keys if not key.is_active)


def transition(rotation: Rotation, to: RotationState) -> tuple[Rotation, str]:
    """Return the rotation in its new state and the audit action naming the move."""
    return replace(rotation, state=to), audit_action(rotation.state, to)


def audit_action(source: RotationState, target: RotationState) -> str:
    action = TRANSITIONS.get(source, {}).get(target)
    if action is None:
        raise IllegalMove(f"a {source.value} key rotation cannot become {target.value}")
    return action


def plan_rotation(keys: Sequence[AccessKey], iam_user: str, now: datetime) -> RotationPlan:
    """Retire the one existing key (if any); refuse when both key slots are taken."""
    if len(keys) >= MAX_KEYS:
        raise KeySlotsFull(slots_full_message(keys, iam_user, now), keys)
    return RotationPlan(tuple(key.key_id for key in keys), keys[0].key_id if keys else None)


def slots_full_message(keys: Sequence[AccessKey], iam_user: str, now: datetime) -> str:
    listed = "\n".join(f"• {describe_key(key, now)}" for key in keys)
    if any(not key.is_active for key in keys):
        advice = "Delete the inactive key to make room, and the rotation goes on."
    else:
        advice = ("Both are active, so Gatehouse will not guess which one to retire: "
                  "deactivate the one you no longer use (IAM console, or ask an admin), then "
                  "run `/access rotate-key` again.")
    return (f"IAM user `{iam_user}` already has two access keys, the most AWS allows:\n"
            f"{listed}\n{advice}")


def unexplained_keys(rotation: Rotation, current: Sequence[AccessKey]) -> list[AccessKey]:
    """Keys that appeared since the rotation began although it recorded none: perhaps its own,
    perhaps someone else's; Gatehouse deletes only a key whose id it recorded."""
    return [key for key in current if key.key_id not in rotation.keys_before]


def used_since_new_key(old: AccessKey, rotation: Rotation) -> bool:
    """True when the old key signed a request after the new key was created (AWS's clock)."""
    created = rotation.new_key_created
    return old.last_used is not None and created is not None and old.last_used > created


def postponed_until(rotation: Rotation, now: datetime) -> datetime:
    """Refuse past the limit; else the deactivation moves a day later."""
    if rotation.postponements >= MAX_POSTPONEMENTS:
        raise UserError(f"The deactivation was already postponed {MAX_POSTPONEMENTS} times; "
                        "ask a Gatehouse admin if the old key must live longer.")
    current = rotation.deactivate_at or now
    return max(current, now) + POSTPONEMENT


def find_key(keys: Sequence[AccessKey], key_id: str | None) -> AccessKey | None:
    return next((key for key in keys if key.key_id == key_id), None)


def stamp(moment: datetime | None) -> str:
    """A time for people (`domain.text.utc_label`), or a dash when there is none."""
    return utc_label(moment) if moment else "—"


def age_text(created: datetime, now: datetime) -> str:
    seconds = max(0, int((now - created).total_seconds()))
    days, hours = seconds // 86400, seconds // 3600
    if days:
        return f"{days} day{'s' if days != 1 else ''} old"
    return f"{hours} h old" if hours else "under an hour old"


def last_use_text(key: AccessKey) -> str:
    if key.last_used is None:
        return "never used"
    where = ", ".join(part for part in (key.last_used_service, key.last_used_region) if part)
    return f"last used {stamp(key.last_used)}" + (f" ({where})" if where else "")


def describe_key(key: AccessKey, now: datetime) -> str:
    """`AKIA…` active, 12 days old, last used 2026-11-28 14:00 UTC (s3, eu-west-1)."""
    status = "active" if key.is_active else "inactive"
    return f"`{key.key_id}` {status}, {age_text(key.created, now)}, {last_use_text(key)}"
