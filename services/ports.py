"""What the use cases need from storage, Slack and AWS, as protocols the edges implement."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any, Protocol

from domain.audit import AuditEntry
from domain.jobs import Job, JobKind, JobPayload
from domain.requests import AccessRequest, Grant, Kind, Status


class UnitOfWork(Protocol):
    """Everything written inside `transaction()` lands together or not at all."""

    def transaction(self) -> AbstractContextManager[Any]: ...


class RequestStore(Protocol):
    """Requests, votes and grants; `move` is one guarded update (None when it lost a race).

    `create_request` raises domain.errors.DuplicateRequest for a second open request.
    """

    def create_request(self, *, kind: Kind, requester: str, role: str, duration_seconds: int,
                       reason: str, approvals_required: int, now: datetime,
                       parent_id: int | None = None, target_user: str | None = None,
                       details: dict[str, Any] | None = None,
                       starts_at: datetime | None = None) -> AccessRequest: ...

    def get(self, request_id: int) -> AccessRequest | None: ...

    def move(self, request_id: int, to: Status, *, actor: str, now: datetime,
             expect: Iterable[Status] | None = None, details: dict[str, Any] | None = None,
             **fields: Any) -> AccessRequest | None: ...

    def set_message(self, request_id: int, channel: str, ts: str) -> None: ...

    def open_requests_of(self, user: str) -> list[AccessRequest]: ...

    def pending(self) -> list[AccessRequest]: ...

    def pending_of(self, user: str) -> list[AccessRequest]: ...

    def record_vote(self, request_id: int, approver: str, decision: str,
                    now: datetime) -> bool: ...

    def approvers_of(self, request_id: int) -> list[str]: ...

    def create_grant(self, request: AccessRequest, *, role_arn: str, started_at: datetime,
                     ends_at: datetime, source_identity: str, session_name: str) -> Grant: ...

    def grant(self, grant_id: int) -> Grant | None: ...

    def update_grant(self, grant_id: int, **fields: Any) -> None: ...

    def end_grant(self, grant_id: int, status: Status, now: datetime) -> bool: ...

    def live_grants_of(self, user: str) -> list[Grant]: ...

    def requests_of_grant(self, grant_id: int) -> list[AccessRequest]: ...


class JobQueue(Protocol):
    """Stored jobs with wall-clock due times; `claim` takes a lease before a job runs."""

    def schedule(self, kind: JobKind, due_at: datetime, *, key: str,
                 request_id: int | None = None, grant_id: int | None = None,
                 payload: JobPayload | dict[str, Any] | None = None) -> None: ...

    def cancel(self, kind: JobKind, key: str, now: datetime) -> None: ...

    def due(self, now: datetime, limit: int = 200) -> list[Job]: ...

    def claim(self, job: Job, now: datetime) -> bool: ...

    def finish(self, job: Job, now: datetime) -> None: ...

    def retry(self, job: Job, now: datetime, error: str, delay: timedelta) -> None: ...


class AuditLog(Protocol):
    def append(self, *, at: datetime, actor: str, action: str, request_id: int | None = None,
               role: str | None = None, subject: str | None = None,
               details: dict[str, Any] | None = None) -> int: ...

    def recent(self, *, since: datetime, subject: str | None = None, role: str | None = None,
               limit: int = 25) -> list[AuditEntry]: ...


class Credentials(Protocol):
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime


class RevokeDeny(Protocol):
    policy_name: str
    issued_before: datetime


class SlackPort(Protocol):
    def post_request(self, request: AccessRequest, channel: str, approvers: list[str]) -> str: ...

    def refresh_request(self, request: AccessRequest, approvals: list[str]) -> None: ...

    def thread(self, request: AccessRequest, text: str) -> None: ...

    def dm(self, user: str, text: str,
           blocks: list[dict[str, Any]] | None = None) -> tuple[str, str]: ...

    def dm_credentials(self, request: AccessRequest, grant: Grant, credentials: Credentials,
                       console_url: str | None, note: str | None) -> tuple[str, str]: ...

    def scrub_credentials(self, grant: Grant, request: AccessRequest, ended: str) -> None: ...

    def warn_expiry(self, grant: Grant, request: AccessRequest) -> tuple[str, str]:
        """DM the holder that the grant ends soon, with Extend; (channel, ts) of that DM."""
        ...

    def settle_expiry_warning(self, grant: Grant, text: str) -> None:
        """Replace the warning DM (and its Extend button) once the grant moved on."""
        ...

    def remind(self, request: AccessRequest, approvers: list[str]) -> None: ...

    def user_email(self, user: str) -> str | None: ...

    def group_members(self, group: str, fresh: bool = False) -> list[str]:
        """Members of a Slack user group; `fresh` reads Slack now and raises when it cannot."""
        ...

    def group_handles(self) -> dict[str, str]:
        """Each user group's handle (`sre` for @sre), read from Slack now."""
        ...

    def home_changed(self, users: set[str]) -> None: ...


class AwsPort(Protocol):
    def role_max_seconds(self, role_arn: str) -> int | None: ...

    def role_chaining(self) -> bool: ...

    def session_identity(self, requester: str, email: str | None,
                         request_id: int) -> tuple[str, str]:
        """(SourceIdentity, RoleSessionName) for a requester's grant."""
        ...

    def assume(self, *, role_arn: str, duration_seconds: int, source_identity: str,
               session_name: str, request_id: int, requester: str, role: str,
               source_ips: list[str], ends_at: datetime) -> Credentials: ...

    def console_url(self, credentials: Credentials, duration_seconds: int) -> str | None: ...

    def put_revoke_deny(self, *, role_arn: str, source_identity: str,
                        issued_before: datetime) -> RevokeDeny: ...

    def remove_revoke_deny(self, *, role_arn: str, policy_name: str,
                           issued_before: datetime | None = None) -> bool: ...
