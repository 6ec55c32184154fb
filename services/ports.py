"""What the use cases need from Slack and AWS, as protocols the edges implement."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from domain.requests import AccessRequest, Grant


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

    def warn_expiry(self, grant: Grant, request: AccessRequest) -> None: ...

    def remind(self, request: AccessRequest, approvers: list[str]) -> None: ...

    def user_email(self, user: str) -> str | None: ...

    def group_members(self, group: str) -> list[str]: ...

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
