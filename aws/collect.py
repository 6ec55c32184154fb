"""Collects one AccountSnapshot for the digest: every source once, failures recorded, not raised."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from aws.cloudtrail import (
    IncompleteLookup,
    RateLimiter,
    error_in_words,
    lookup_events,
    read_s3_logs,
)
from aws.hygiene import (
    fetch_account_summary,
    fetch_authorization_details,
    fetch_credential_report,
    fetch_password_policy,
    fetch_role_session_durations,
    fetch_service_last_accessed,
    fetch_virtual_mfa_arns,
    with_session_durations,
)
from domain.hygiene.last_accessed import broad_principal_arns
from domain.hygiene.model import (
    TRAIL_WINDOW,
    AccountSnapshot,
    AuthorizationDetails,
    CredentialReport,
    MissingSource,
    ServiceLastAccess,
    TrailEvent,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
NOT_READ: Any = object()
MAX_LAST_ACCESSED_PRINCIPALS = 100
LAST_ACCESSED_SOURCE = "IAM service last-accessed data"


class SourceReader:
    """Calls each source, keeping what it returns and noting, in words, each one that fails."""

    def __init__(self) -> None:
        self.missing: list[MissingSource] = []

    def read(self, source: str, fetch: Callable[[], T], failed: Any = None) -> T:
        try:
            return fetch()
        except IncompleteLookup as error:
            self.note(source, error.reason)
            return error.events or failed  # type: ignore[return-value]
        except Exception as error:  # one failing source must not stop the digest
            self.note(source, error_in_words(error))
            return failed

    def note(self, source: str, reason: str) -> None:
        log.warning("hygiene source missing", extra={"source": source, "reason": reason})
        self.missing.append(MissingSource(source, reason))


def account_id_from(
    report: CredentialReport | None, authorization: AuthorizationDetails | None
) -> str | None:
    """The account id in the first IAM ARN at hand (arn:aws:iam::<account>:...)."""
    arns = [row.arn for row in report.rows] if report else []
    if authorization:
        arns += [user.arn for user in authorization.users]
        arns += [role.arn for role in authorization.roles]
    return next((arn.split(":")[4] for arn in arns if arn.count(":") >= 5), None)


def _unique(events: Iterable[TrailEvent]) -> tuple[TrailEvent, ...]:
    """Events from LookupEvents and S3 overlap; keep one of each, oldest first."""
    by_id = {event.event_id or (event.time, event.event_name, event.principal): event
             for event in events}
    return tuple(sorted(by_id.values(), key=lambda event: event.time))


def _read_events(
    reader: SourceReader, clients: tuple[Any, Any], *, now: datetime, account_id: str | None,
    bucket: str | None, regions: tuple[str, ...], rate_limiter: RateLimiter, max_pages: int,
) -> tuple[tuple[TrailEvent, ...], bool]:
    """Last 24 h of events from LookupEvents and, with a bucket, S3; and whether any was read."""
    cloudtrail, s3 = clients
    start = now - TRAIL_WINDOW
    results = [reader.read("CloudTrail LookupEvents", lambda: lookup_events(
        cloudtrail, start=start, end=now, rate_limiter=rate_limiter, max_pages=max_pages),
        NOT_READ)]
    if bucket and (s3 is None or not account_id):
        reader.note("CloudTrail S3 logs", "no S3 client or account id to read the bucket with")
    elif bucket:
        results.append(reader.read("CloudTrail S3 logs", lambda: read_s3_logs(
            s3, bucket=bucket, account_id=account_id, regions=regions, start=start, end=now),
            NOT_READ))
    read = [result for result in results if result is not NOT_READ]
    return _unique(event for result in read for event in result), bool(read)


def _read_last_accessed(
    reader: SourceReader, iam: Any, authorization: AuthorizationDetails | None, *,
    enabled: bool, limit: int, sleep: Callable[[float], None],
) -> tuple[ServiceLastAccess, ...] | None:
    """Last-accessed data for admins and broad principals only, at most `limit` of them."""
    if not enabled or authorization is None:
        return None
    arns = broad_principal_arns(authorization)
    if len(arns) > limit:
        reader.note(LAST_ACCESSED_SOURCE, f"read for the first {limit} of {len(arns)} "
                                          "broad principals only")
    return reader.read(LAST_ACCESSED_SOURCE, lambda: fetch_service_last_accessed(
        iam, arns[:limit], sleep=sleep))


def collect_snapshot(
    iam: Any,
    cloudtrail: Any,
    s3: Any | None = None,
    *,
    now: datetime,
    account_id: str | None = None,
    cloudtrail_bucket: str | None = None,
    trail_regions: tuple[str, ...] = ("us-east-1",),
    sleep: Callable[[float], None] = time.sleep,
    rate_limiter: RateLimiter | None = None,
    max_lookup_pages: int = 100,
    service_last_accessed: bool = True,
    max_last_accessed: int = MAX_LAST_ACCESSED_PRINCIPALS,
) -> AccountSnapshot:
    """Read every digest source once; never raises because one source fails.

    `cloudtrail` should be a us-east-1 client. The number of calls depends on the
    number of pages, never on the number of users or roles; service last-accessed data
    costs two calls for each admin or broad principal (at most `max_last_accessed`).
    """
    reader = SourceReader()
    report = reader.read("IAM credential report", lambda: fetch_credential_report(iam, sleep=sleep))
    authorization = reader.read(
        "IAM GetAccountAuthorizationDetails", lambda: fetch_authorization_details(iam))
    durations = reader.read("IAM ListRoles", lambda: fetch_role_session_durations(iam))
    if authorization is not None and durations:
        authorization = with_session_durations(authorization, durations)
    summary = reader.read("IAM GetAccountSummary", lambda: fetch_account_summary(iam))
    virtual_mfa = reader.read("IAM ListVirtualMFADevices", lambda: fetch_virtual_mfa_arns(iam))
    last_accessed = _read_last_accessed(reader, iam, authorization, enabled=service_last_accessed,
                                        limit=max_last_accessed, sleep=sleep)
    policy = reader.read(
        "IAM GetAccountPasswordPolicy", lambda: fetch_password_policy(iam), NOT_READ)
    account_id = account_id or account_id_from(report, authorization)
    events, events_read = _read_events(
        reader, (cloudtrail, s3), now=now, account_id=account_id, bucket=cloudtrail_bucket,
        regions=trail_regions, rate_limiter=rate_limiter or RateLimiter(2.0),
        max_pages=max_lookup_pages,
    )
    return AccountSnapshot(
        collected_at=now, account_id=account_id, credential_report=report,
        authorization=authorization, summary=summary,
        password_policy=None if policy is NOT_READ else policy,
        password_policy_read=policy is not NOT_READ, events=events, events_read=events_read,
        virtual_mfa_arns=virtual_mfa, last_accessed=last_accessed, missing=tuple(reader.missing),
    )
