"""The digest's account-data source on AWS: one snapshot of the account, and who Gatehouse is."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from aws.clients import AwsClients
from aws.collect import collect_snapshot
from aws.sts import CallerIdentity, caller_identity
from domain.hygiene import AccountSnapshot


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
