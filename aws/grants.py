"""The AWS port of the access use cases, built on the sts, iam and console wrappers."""

from __future__ import annotations

import threading
from datetime import datetime

from aws.clients import AwsClients
from aws.console import console_signin_url
from aws.iam import (
    build_session_policy,
    put_revoke_deny,
    remove_revoke_deny,
    role_max_session_seconds,
)
from aws.sts import (
    GrantCredentials,
    assume_role_for_grant,
    caller_identity,
    session_name_for,
    session_tags_for,
    source_identity_for,
)

ISSUER = "gatehouse"


class AwsGrants:
    """Implements the AwsPort the services use."""

    def __init__(self, clients: AwsClients, federation_url: str) -> None:
        self.clients = clients
        self.federation_url = federation_url
        self._chaining: bool | None = None
        self._lock = threading.Lock()

    def role_max_seconds(self, role_arn: str) -> int | None:
        return role_max_session_seconds(self.clients.iam(), role_arn)

    def role_chaining(self) -> bool:
        """True when Gatehouse itself runs on role credentials (grants capped at 1 h)."""
        with self._lock:
            if self._chaining is None:
                self._chaining = caller_identity(self.clients.sts()).is_role_session
            return self._chaining

    def session_identity(self, requester: str, email: str | None,
                         request_id: int) -> tuple[str, str]:
        return source_identity_for(email, requester), session_name_for(requester, request_id)

    def assume(self, *, role_arn: str, duration_seconds: int, source_identity: str,
               session_name: str, request_id: int, requester: str, role: str,
               source_ips: list[str], ends_at: datetime) -> GrantCredentials:
        return assume_role_for_grant(
            self.clients.sts(), role_arn=role_arn, duration_seconds=duration_seconds,
            session_name=session_name, source_identity=source_identity,
            session_tags=session_tags_for(request_id, requester, role),
            session_policy=build_session_policy(source_ips=source_ips, ends_at=ends_at),
        )

    def console_url(self, credentials: GrantCredentials, duration_seconds: int) -> str | None:
        return console_signin_url(credentials, federation_url=self.federation_url,
                                  issuer=ISSUER, session_seconds=duration_seconds)

    def put_revoke_deny(self, *, role_arn: str, source_identity: str, issued_before: datetime,
                        deny_id: str) -> str:
        return put_revoke_deny(self.clients.iam(), role_arn=role_arn,
                               source_identity=source_identity, issued_before=issued_before,
                               deny_id=deny_id)

    def remove_revoke_deny(self, *, role_arn: str, policy_name: str) -> bool:
        return remove_revoke_deny(self.clients.iam(), role_arn=role_arn, policy_name=policy_name)
