"""What the digest needs from AWS and storage, as protocols the edges implement."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, Protocol

from domain.accounts import Account
from domain.digest import Acknowledgement, Digest, GatehouseActivity, PreviousDigest, StoredFinding
from domain.hygiene import AccountSnapshot
from domain.identity_center_drift import AccountFindings
from domain.org_digest import OrgDigest

AnyDigest = Digest | OrgDigest
# Publishes a kept digest (its id given) and returns (channel, message ts).
Publisher = Callable[[AnyDigest, int], tuple[str, str]]


class CallerIdentity(Protocol):
    """The principal Gatehouse itself runs as."""

    @property
    def account(self) -> str: ...

    @property
    def arn(self) -> str: ...


class AccountData(Protocol):
    """The account the digest checks; calls raise domain.errors.CloudError when refused."""

    def snapshot(self, now: datetime, *, account_id: str | None, cloudtrail_bucket: str | None,
                 service_last_accessed: bool = True) -> AccountSnapshot:
        """Every source read once; a source that fails is named in `missing`, never raised."""
        ...

    def caller_identity(self) -> CallerIdentity: ...


class AccountsData(Protocol):
    """Every account of the organisation, each read through its own manage role."""

    def accounts(self) -> list[Account]: ...

    def snapshot(self, account: Account, now: datetime, *, cloudtrail_bucket: str | None,
                 service_last_accessed: bool = True) -> AccountSnapshot:
        """The account's sources read once; an account whose manage role cannot be assumed
        comes back with nothing read and that reason in `missing`. Never raises."""
        ...

    def caller_identity(self) -> CallerIdentity:
        """Gatehouse's own principal (its account trusts no one outside, by design)."""
        ...


class AccountFindingSource(Protocol):
    """Findings about the accounts read outside their IAM (Identity Center drift); a source
    that cannot be read comes back in `missing`, by account. Never raises."""

    def findings(self, now: datetime) -> AccountFindings: ...


class Fixes(Protocol):
    """The digest's one-click fixes; each raises domain.errors.CloudError when refused."""

    def deactivate_key_in_slot(self, user_name: str, slot: int,
                               created: datetime | None = None) -> tuple[str, bool]:
        """(key id, whether it was active) after making the report slot's key Inactive."""
        ...

    def remove_console_password(self, user_name: str) -> bool:
        """False when the user had no console password any more."""
        ...


class PostedDigest(Protocol):
    """A stored digest's headline, for the App Home."""

    @property
    def created_at(self) -> datetime: ...

    @property
    def channel(self) -> str | None: ...

    @property
    def summary(self) -> dict[str, Any]: ...


class DigestStore(Protocol):
    """Stored digests, their findings, acknowledgements and the day each was posted."""

    def save(self, digest: AnyDigest, *, trigger: str, summary: Mapping[str, Any]) -> int: ...

    def set_message(self, digest_id: int, channel: str, ts: str) -> None: ...

    def latest(self, *, posted: bool = False) -> PostedDigest | None: ...

    def previous(self, before: datetime) -> PreviousDigest | None: ...

    def open_counts(self, since: date, until: date) -> dict[date, int]: ...

    def denied_history(self, since: date, until: date) -> list[dict[str, int]]: ...

    def finding(self, fid: str) -> StoredFinding | None: ...

    def claim_day(self, day: date, now: datetime) -> bool: ...

    def release_day(self, day: date) -> None: ...

    def mark_day(self, day: date, digest_id: int) -> None: ...

    def posted_on(self, day: date) -> bool: ...

    def acknowledge(self, ack: Acknowledgement) -> None: ...

    def acknowledgements(self) -> dict[str, Acknowledgement]: ...

    def activity(self, since: datetime, now: datetime) -> GatehouseActivity: ...

    def account_open_counts(self, since: date, until: date) -> dict[str, dict[date, int]]:
        """Each account's open findings in each day's last digest, by account id."""
        ...


class AuditTrail(Protocol):
    def append(self, *, at: datetime, actor: str, action: str, request_id: int | None = None,
               role: str | None = None, subject: str | None = None,
               details: dict[str, Any] | None = None) -> int: ...
