"""Per-account AWS clients: each manage role assumed once, its credentials cached and renewed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import boto3
import botocore.session

from aws.clients import AwsClients
from aws.errors import AwsError, aws_errors
from domain.accounts import MANAGE_SESSION_NAME, Account

MANAGE_SESSION_SECONDS = 3600
RENEW_BEFORE = timedelta(minutes=10)  # renewed this long before the credentials expire


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class _Held:
    clients: AwsClients
    expires: datetime


class AccountSessions:
    """AwsClients for each account, acting through that account's manage role.

    Gatehouse's own credentials (`hub`) only call sts:AssumeRole on manage roles and on the
    roles it grants; every IAM read or change in an account goes through its manage role.
    Safe to share between threads.
    """

    def __init__(self, hub: AwsClients, accounts: Iterable[Account] = (), *,
                 clock: Callable[[], datetime] = _utcnow,
                 on_session: Callable[[boto3.session.Session], None] | None = None) -> None:
        self.hub = hub
        self._accounts = {account.id: account for account in accounts}
        self._clock = clock
        self._on_session = on_session
        self._held: dict[str, _Held] = {}
        self._lock = threading.Lock()
        self._account_locks: dict[str, threading.Lock] = {}

    def accounts(self) -> list[Account]:
        """Every account known now, in the order they were given."""
        with self._lock:
            return list(self._accounts.values())

    def set_accounts(self, accounts: Iterable[Account]) -> None:
        """Replace the known accounts (after Organizations discovery); sessions of accounts
        whose manage role changed or that left are dropped."""
        fresh = {account.id: account for account in accounts}
        with self._lock:
            for account_id in list(self._held):
                if fresh.get(account_id) != self._accounts.get(account_id):
                    del self._held[account_id]
            self._accounts = fresh

    def account(self, name_or_id: str) -> Account | None:
        """The known account with this name or id."""
        with self._lock:
            found = self._accounts.get(name_or_id)
            return found or next((a for a in self._accounts.values() if a.name == name_or_id),
                                 None)

    def clients(self, account_id: str) -> AwsClients:
        """Clients acting in `account_id` through its manage role (assumed now if needed).

        Raises AwsError "NoManageRole" for an account Gatehouse has no manage role in, and
        the AssumeRole failure, in words naming the account, when the role cannot be assumed.
        """
        account = self.account(account_id)
        if account is None or account.id != account_id:
            raise AwsError(f"account {account_id} has no manage role configured, so Gatehouse "
                           "will not act there; add it under accounts: in the config",
                           "NoManageRole")
        with self._lock_for(account_id):
            held = self._held.get(account_id)
            if held is None or self._clock() >= held.expires - RENEW_BEFORE:
                held = self._assume(account)
                with self._lock:
                    self._held[account_id] = held
            return held.clients

    def _lock_for(self, account_id: str) -> threading.Lock:
        with self._lock:
            return self._account_locks.setdefault(account_id, threading.Lock())

    def _assume(self, account: Account) -> _Held:
        args = {"RoleArn": account.manage_role, "RoleSessionName": MANAGE_SESSION_NAME,
                "DurationSeconds": MANAGE_SESSION_SECONDS}
        if account.external_id:
            args["ExternalId"] = account.external_id
        with aws_errors(f"the manage role of account {account.name} ({account.id})"):
            answer = self.hub.sts().assume_role(**args)["Credentials"]
        region = account.region or self.hub.region
        session = boto3.session.Session(
            aws_access_key_id=answer["AccessKeyId"],
            aws_secret_access_key=answer["SecretAccessKey"],
            aws_session_token=answer["SessionToken"], region_name=region,
            botocore_session=self._botocore_session())
        if self._on_session:
            self._on_session(session)
        return _Held(AwsClients(session, region), self._clock() + _lifetime(answer["Expiration"]))

    def _botocore_session(self) -> botocore.session.Session:
        """A fresh botocore session that reads AWS's service models through the hub's loader:
        loaded once, not again (about 16 MB) for every account."""
        fresh = botocore.session.Session()
        fresh.register_component(
            "data_loader", self.hub.session._session.get_component("data_loader"))
        return fresh


def _lifetime(expiration: datetime) -> timedelta:
    """How long credentials expiring at `expiration` (AWS's wall clock) still last, at most
    the duration asked for; measured from the wall clock so an injected clock can run ahead."""
    if expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=timezone.utc)
    left = expiration - datetime.now(timezone.utc)
    return max(timedelta(0), min(left, timedelta(seconds=MANAGE_SESSION_SECONDS)))
