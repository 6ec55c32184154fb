"""The AWS port of the access use cases, built on the sts, iam and console wrappers."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime

from botocore.client import BaseClient

from aws.accounts import AccountSessions
from aws.clients import AwsClients
from aws.console import console_signin_url
from aws.errors import AwsError
from aws.iam import (
    RevokeDeny,
    account_of_role,
    build_session_policy,
    put_revoke_deny,
    remove_revoke_deny,
    role_max_session_seconds,
)
from aws.sts import (
    CallerIdentity,
    GrantCredentials,
    assume_role_for_grant,
    caller_identity,
    session_name_for,
    session_tags_for,
    source_identity_for,
)

ISSUER = "gatehouse"


class AwsGrants:
    """Implements the AwsPort the services use.

    `clients` are Gatehouse's own (the hub's): grants are assumed with them. With `accounts`
    (a config with accounts: or organization:), IAM work on a role (its MaxSessionDuration,
    revoke denies) runs in the role's own account through that account's manage role;
    without, only roles of Gatehouse's own account are touched.
    """

    def __init__(self, clients: AwsClients, federation_url: str,
                 accounts: AccountSessions | None = None) -> None:
        self.clients = clients
        self.federation_url = federation_url
        self.accounts = accounts
        self._identity: CallerIdentity | None = None
        self._lock = threading.Lock()

    def iam_for(self, role_arn: str) -> BaseClient:
        """The IAM client acting in the account `role_arn` lives in (never a same-named role
        elsewhere); AwsError when Gatehouse cannot act there."""
        if self.accounts is None:
            self.own_role(role_arn)
            return self.clients.iam()
        return self.accounts.clients(account_of_role(role_arn)).iam()

    def role_max_seconds(self, role_arn: str) -> int | None:
        return role_max_session_seconds(self.iam_for(role_arn), role_arn)

    def role_chaining(self) -> bool:
        """True when Gatehouse itself runs on role credentials (grants capped at 1 h)."""
        return self._caller().is_role_session

    def own_role(self, role_arn: str) -> str:
        """`role_arn`, checked to be in the account these IAM credentials act in.

        IAM calls name a role by its name alone, so a role of another account would be
        changed in Gatehouse's own account instead: a same-named, different role.
        """
        own, theirs = self._caller().account, account_of_role(role_arn)
        if theirs != own:
            raise AwsError(f"the role {role_arn} is in account {theirs}, but Gatehouse's IAM "
                           f"credentials act in account {own}; it will not change a role "
                           "there", "WrongAccount")
        return role_arn

    def foreign_roles(self, role_arns: Mapping[str, str]) -> list[str]:
        """One line per role (`roles.<name>.arn`) outside Gatehouse's own account, which it
        cannot revoke on without accounts: in the config; learns the account first."""
        if self.accounts is not None:  # every role's account has a manage role (config)
            return []
        try:
            own = self._caller().account
        except AwsError as exc:
            return [f"AWS credentials: STS GetCallerIdentity failed, so Gatehouse cannot tell "
                    f"which account it runs in: {exc}"]
        return [foreign_role_line(name, arn, own) for name, arn in sorted(role_arns.items())
                if account_of_role(arn) != own]

    def _grantable(self, role_arn: str) -> str:
        """Roles are assumed from the hub; without accounts, only its own account's."""
        return role_arn if self.accounts is not None else self.own_role(role_arn)

    def _caller(self) -> CallerIdentity:
        with self._lock:
            if self._identity is None:
                self._identity = caller_identity(self.clients.sts())
            return self._identity

    def session_identity(self, requester: str, email: str | None,
                         request_id: int) -> tuple[str, str]:
        return source_identity_for(email, requester), session_name_for(requester, request_id)

    def assume(self, *, role_arn: str, duration_seconds: int, source_identity: str,
               session_name: str, request_id: int, requester: str, role: str,
               source_ips: list[str], ends_at: datetime) -> GrantCredentials:
        return assume_role_for_grant(
            self.clients.sts(), role_arn=self._grantable(role_arn),
            duration_seconds=duration_seconds,
            session_name=session_name, source_identity=source_identity,
            session_tags=session_tags_for(request_id, requester, role),
            session_policy=build_session_policy(source_ips=source_ips, ends_at=ends_at),
        )

    def console_url(self, credentials: GrantCredentials, duration_seconds: int) -> str | None:
        return console_signin_url(credentials, federation_url=self.federation_url,
                                  issuer=ISSUER, session_seconds=duration_seconds)

    def put_revoke_deny(self, *, role_arn: str, source_identity: str,
                        issued_before: datetime) -> RevokeDeny:
        return put_revoke_deny(self.iam_for(role_arn), role_arn=role_arn,
                               source_identity=source_identity, issued_before=issued_before)

    def remove_revoke_deny(self, *, role_arn: str, policy_name: str,
                           issued_before: datetime | None = None) -> bool:
        return remove_revoke_deny(self.iam_for(role_arn), role_arn=role_arn,
                                  policy_name=policy_name, issued_before=issued_before)


def foreign_role_line(name: str, role_arn: str, own_account: str) -> str:
    return (f"roles.{name}.arn: {role_arn} is in account {account_of_role(role_arn)}, but "
            f"Gatehouse runs in account {own_account}; it can only grant and revoke roles of "
            "its own account, so move the role there or remove it")
