"""What key rotation needs from IAM, storage, Slack and the access flow, as protocols."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from domain.iam import AccessKey, IamUser, NewAccessKey
from domain.requests import AccessRequest, Status
from domain.rotation import Rotation, RotationPlan, RotationState


@dataclass(frozen=True)
class RotationSettings:
    """The config the rotation reads: `keys.*`, the admins and the IAM user tag."""

    grace_period: int  # seconds the old key keeps working after delivery
    delete_after: int  # seconds an inactive old key waits to be deleted
    requires_approval: bool
    admins: tuple[str, ...]
    iam_user_tag: str
    approvals_channel: str

    def is_admin(self, user: str) -> bool:
        return user in self.admins


class IamKeys(Protocol):
    """The IAM calls of a rotation; each raises domain.errors.CloudError when AWS refuses."""

    def find_user(self, slack_id: str, now: datetime, *,
                  refresh_after: timedelta = timedelta(0)) -> IamUser | None: ...

    def forget(self) -> None: ...

    def list_keys(self, iam_user: str) -> list[AccessKey]: ...

    def create_key(self, iam_user: str) -> NewAccessKey: ...

    def set_key_status(self, iam_user: str, key_id: str, active: bool) -> None: ...

    def delete_key(self, iam_user: str, key_id: str) -> bool: ...


class RotationStore(Protocol):
    """Stored rotations; every change of state is atomic and audited."""

    def insert(self, *, holder: str, requested_by: str, iam_user: str, plan: RotationPlan,
               owner: str, now: datetime, request_id: int | None = None) -> Rotation: ...

    def get(self, rotation_id: int) -> Rotation | None: ...

    def move(self, rotation_id: int, to: RotationState, *, actor: str, now: datetime,
             expect: Iterable[RotationState] | None = None, action: str | None = None,
             details: dict[str, Any] | None = None, **fields: Any) -> Rotation | None: ...

    def update(self, rotation_id: int, **fields: Any) -> None: ...

    def record(self, rotation: Rotation, action: str, actor: str, now: datetime,
               details: dict[str, Any] | None = None) -> None: ...

    def open_for(self, iam_user: str) -> Rotation | None: ...

    def of_request(self, request_id: int) -> Rotation | None: ...

    def undelivered(self) -> list[Rotation]: ...


class KeyMessages(Protocol):
    """The DM that holds a new key's secret, and its later versions."""

    def deliver_key(self, rotation: Rotation, secret: str, now: datetime) -> tuple[str, str]:
        """DM the holder the key id and its secret; (channel, ts) of that DM."""
        ...

    def conceal_key(self, rotation: Rotation, why: str) -> None:
        """Replace the key DM with one that no longer holds the secret."""
        ...

    def warn_old_key_used(self, rotation: Rotation, old: AccessKey, now: datetime) -> None: ...


class Notices(Protocol):
    """Plain Slack notices about a rotation and the approval request behind it."""

    def dm(self, user: str, text: str,
           blocks: list[dict[str, Any]] | None = None) -> tuple[str, str]: ...

    def thread(self, request: AccessRequest, text: str) -> None: ...

    def refresh_request(self, request: AccessRequest, approvals: list[str]) -> None: ...

    def home_changed(self, users: set[str]) -> None: ...


class UnitOfWork(Protocol):
    def transaction(self) -> AbstractContextManager[Any]:
        """Everything inside commits together or not at all; nesting joins the outer one."""
        ...


class JobQueue(Protocol):
    def schedule(self, action: str, due_at: datetime, *, key: str,
                 payload: dict[str, Any] | None = None) -> None: ...

    def cancel(self, action: str, key: str, now: datetime) -> None: ...


class StoredJob(Protocol):
    @property
    def payload(self) -> dict[str, Any]: ...


JobHandler = Callable[[StoredJob, datetime], None]  # runs one due job of the stored queue


class AuditTrail(Protocol):
    def append(self, *, at: datetime, actor: str, action: str, request_id: int | None = None,
               role: str | None = None, subject: str | None = None,
               details: dict[str, Any] | None = None) -> int: ...


class ApprovalRequests(Protocol):
    """The approval request a rotation may have started from (approvals-required mode)."""

    def get(self, request_id: int) -> AccessRequest | None: ...

    def move(self, request_id: int, to: Status, *, actor: str, now: datetime,
             expect: Iterable[Status] | None = None, details: dict[str, Any] | None = None,
             **fields: Any) -> AccessRequest | None: ...

    def approvers_of(self, request_id: int) -> list[str]: ...


class RequestFiler(Protocol):
    def file(self, *, requested_by: str, holder: str, reason: str,
             now: datetime) -> AccessRequest:
        """Store a key-rotation request; raise domain.errors.AlreadyRequested on a duplicate."""
        ...


class RequestAnnouncer(Protocol):
    """The access flow's side of a filed request: its reminders, expiry and approval post."""

    def schedule_pending_jobs(self, request: AccessRequest, now: datetime) -> None: ...

    def announce(self, request_id: int, now: datetime) -> None: ...
