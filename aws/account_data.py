"""The digest's account-data sources on AWS: one account's snapshot, every account's, who we are."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from aws.accounts import AccountSessions
from aws.clients import AwsClients
from aws.collect import collect_snapshot
from aws.errors import AwsError
from aws.sts import CallerIdentity, caller_identity
from domain.accounts import Account
from domain.hygiene import AccountSnapshot, MissingSource

MANAGE_ROLE_SOURCE = "manage role"


class AwsAccountData:
    """Implements the digest's account-data port; `sleep` waits for the credential report."""

    def __init__(self, clients: AwsClients,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.clients = clients
        self.sleep = sleep

    def snapshot(self, now: datetime, *, account_id: str | None, cloudtrail_bucket: str | None,
                 service_last_accessed: bool = True) -> AccountSnapshot:
        """Every digest source read once; a failing source is noted in `missing`."""
        return collect_snapshot(
            self.clients.iam(), self.clients.cloudtrail(), self.clients.s3(), now=now,
            account_id=account_id, cloudtrail_bucket=cloudtrail_bucket, sleep=self.sleep,
            service_last_accessed=service_last_accessed)

    def caller_identity(self) -> CallerIdentity:
        """The principal Gatehouse runs as (STS GetCallerIdentity); raises AwsError."""
        return caller_identity(self.clients.sts())


class AwsOrgData:
    """Implements the org digest's accounts port: each account read on its own clients (its
    manage role), so a throttled account backs off on its own clients while others go on."""

    def __init__(self, sessions: AccountSessions,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.sessions = sessions
        self.sleep = sleep

    def accounts(self) -> list[Account]:
        return self.sessions.accounts()

    def snapshot(self, account: Account, now: datetime, *, cloudtrail_bucket: str | None,
                 service_last_accessed: bool = True) -> AccountSnapshot:
        """The account's digest sources; its manage role refused is the one source missing."""
        try:
            clients = self.sessions.clients(account.id)
        except AwsError as error:
            return AccountSnapshot(collected_at=now, account_id=account.id, missing=(
                MissingSource(MANAGE_ROLE_SOURCE, error.message),))
        return AwsAccountData(clients, sleep=self.sleep).snapshot(
            now, account_id=account.id, cloudtrail_bucket=cloudtrail_bucket,
            service_last_accessed=service_last_accessed)

    def caller_identity(self) -> CallerIdentity:
        return caller_identity(self.sessions.hub.sts())
