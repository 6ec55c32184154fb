"""What key rotation needs from IAM, storage, Slack and the access flow, as protocols."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from domain.accounts import Account
from domain.iam import AccessKey, IamUser, NewAccessKey
from domain.jobs import JobKind, RotationJob
from domain.requests import AccessRequest, Status
from domain.rotation import KeyMapping, MappingChange, Rotation, RotationPlan, RotationState


@dataclass(frozen=True)
class RotationSettings:
    """The config the rotation reads: `keys.*`, the admins and the IAM user tag."""

    grace_period: int  # seconds the old key keeps working after delivery
    delete_after: int  # seconds an inactive old key waits to be deleted
    requires_approval: bool
    admins: tuple[str, ...]
    iam_user_tag: str
    approvals_channel: str
    allow_first_key: bool = False  # may a user with no key get a first one?
    allow_admin_keys: bool = False  # may administrators and protected users get keys?
    protected_users: tuple[str, ...] = ()  # IAM user names never given a key by Gatehouse

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


class IamKeysByAccount(Protocol):
    """IAM keys in each account Gatehouse manages, through that account's manage role."""

    def accounts(self) -> list[Account]: ...

    def account(self, name_or_id: str) -> Account | None: ...

    def keys_in(self, account_id: str) -> IamKeys:
        """The IAM calls in `account_id`; each raises CloudError naming the account when its
        manage role cannot be assumed."""
        ...


class RotationStore(Protocol):
    """Stored rotations; every change of state is atomic and audited."""

    def insert(self, *, holder: str, requested_by: str, iam_user: str, plan: RotationPlan,
               owner: str, now: datetime, request_id: int | None = None,
               account: str | None = None) -> Rotation: ...

    def get(self, rotation_id: int) -> Rotation | None: ...

    def move(self, rotation_id: int, to: RotationState, *, actor: str, now: datetime,
             expect: Iterable[RotationState] | None = None, action: str | None = None,
             details: dict[str, Any] | None = None, **fields: Any) -> Rotation | None: ...

    def update(self, rotation_id: int, **fields: Any) -> None: ...

    def record(self, rotation: Rotation, action: str, actor: str, now: datetime,
               details: dict[str, Any] | None = None) -> None: ...

    def open_for(self, iam_user: str, account: str | None = None) -> Rotation | None: ...

    def of_request(self, request_id: int) -> Rotation | None: ...

    def undelivered(self) -> list[Rotation]: ...


class KeyMessages(Protocol):
    """The DM that holds a new key's secret, its later versions, and the mapping approvals."""

    def announce_key(self, rotation: Rotation) -> tuple[str, str]:
        """DM the holder that a key is being made, before it exists; (channel, ts)."""
        ...

    def deliver_key(self, rotation: Rotation, secret: str, now: datetime) -> None:
        """Put the key id and its secret into the announced DM (rotation.dm_channel/ts)."""
        ...

    def conceal_key(self, rotation: Rotation, why: str | None) -> None:
        """Replace the key DM with one that no longer holds the secret (and shows the
        rotation's state: no button once the old key is inactive)."""
        ...

    def warn_old_key_used(self, rotation: Rotation, old: AccessKey,
                          now: datetime) -> tuple[str, str]: ...

    def settle_warning(self, rotation: Rotation) -> None:
        """The old key is inactive or gone: the warning loses its buttons."""
        ...

    def ask_about_reactivated(self, rotation: Rotation, user: str) -> None:
        """Ask `user` whether the old key, active again, is deleted or kept."""
        ...

    def ask_mapping_approval(self, change: MappingChange, admin_via: tuple[str, ...],
                             admins: tuple[str, ...]) -> tuple[str, str]:
        """Post the Approve/Deny message for a mapping change; (channel, ts)."""
        ...

    def show_mapping_decision(self, change: MappingChange) -> None: ...


class MappingStore(Protocol):
    """Recorded Slack user -> IAM user mappings and their pending changes."""

    def get(self, slack_user: str, account: str | None = None) -> KeyMapping | None: ...

    def holder_of(self, iam_user: str, account: str | None = None) -> str | None: ...

    def record(self, slack_user: str, user: IamUser, actor: str, now: datetime,
               account: str | None = None) -> KeyMapping: ...

    def pending(self, slack_user: str, account: str | None = None) -> MappingChange | None: ...

    def last_decided(self, slack_user: str, user: IamUser,
                     account: str | None = None) -> MappingChange | None: ...

    def change(self, change_id: int) -> MappingChange | None: ...

    def request_change(self, slack_user: str, old: str | None, new: IamUser, actor: str,
                       now: datetime, account: str | None = None) -> MappingChange | None: ...

    def set_message(self, change_id: int, channel: str, ts: str) -> None: ...

    def decide(self, change_id: int, approved: bool, admin: str,
               now: datetime) -> MappingChange | None: ...


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
    def schedule(self, kind: JobKind, due_at: datetime, *, key: str,
                 payload: RotationJob | None = None) -> None: ...

    def cancel(self, kind: JobKind, key: str, now: datetime) -> None: ...


class StoredJob(Protocol):
    @property
    def payload(self) -> dict[str, Any]: ...


JobHandler = Callable[[StoredJob, datetime], None]  # runs one due job of the stored queue


def rotation_of(job: StoredJob) -> int:
    """The rotation id a key job carries (0 when missing, which matches no rotation)."""
    return RotationJob.from_dict(job.payload).rotation


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
    def file(self, *, requested_by: str, holder: str, reason: str, now: datetime,
             account: str | None = None) -> AccessRequest:
        """Store a key-rotation request; raise domain.errors.AlreadyRequested on a duplicate."""
        ...


class RequestAnnouncer(Protocol):
    """The access flow's side of a filed request: its reminders, expiry and approval post."""

    def schedule_pending_jobs(self, request: AccessRequest, now: datetime) -> None: ...

    def announce(self, request_id: int, now: datetime) -> None: ...
