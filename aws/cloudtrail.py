"""CloudTrail readers: LookupEvents (rate limited) and gzipped log files in S3."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from domain.hygiene.model import TrailEvent

__all__ = [
    "IncompleteLookup", "RateLimiter", "TrailEvent", "error_in_words", "event_from_record",
    "lookup_events", "read_s3_logs",
]

LOOKUP_PAGE_SIZE = 50


class RateLimiter:
    """Spaces calls at least 1/per_second apart, so no second holds more than `per_second`."""

    def __init__(
        self,
        per_second: float = 2.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._next_at: float | None = None

    def wait(self) -> None:
        """Block until the next call is allowed, and book that slot."""
        now = self._clock()
        if self._next_at is not None and now < self._next_at:
            self._sleep(self._next_at - now)
            now = self._next_at
        self._next_at = now + self._interval


class IncompleteLookup(Exception):
    """LookupEvents stopped early; `events` holds what was read before it stopped."""

    def __init__(self, events: list[TrailEvent], reason: str) -> None:
        super().__init__(reason)
        self.events = events
        self.reason = reason


def _time(value: str | datetime) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    return {"true": True, "false": False}.get(str(value).lower()) if value is not None else None


def event_from_record(record: dict[str, Any]) -> TrailEvent:
    """One CloudTrail record (as in a log file or LookupEvents' CloudTrailEvent)."""
    identity = record.get("userIdentity") or {}
    issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") or {}
    extra = record.get("additionalEventData") or {}
    response = record.get("responseElements")
    assumed = identity.get("type") == "AssumedRole"
    return TrailEvent(
        event_id=record.get("eventID", ""), time=_time(record["eventTime"]),
        event_name=record.get("eventName", ""), event_source=record.get("eventSource", ""),
        region=record.get("awsRegion", ""), principal_arn=identity.get("arn"),
        principal_type=identity.get("type"),
        username=identity.get("userName") or issuer.get("userName"),
        session_issuer_arn=issuer.get("arn") if assumed else None,
        source_ip=record.get("sourceIPAddress"), error_code=record.get("errorCode"),
        mfa_used={"Yes": True, "No": False}.get(extra.get("MFAUsed")),
        console_login_outcome=response.get("ConsoleLogin") if isinstance(response, dict) else None,
        read_only=_flag(record.get("readOnly")),
    )


def _event_from_lookup(event: dict[str, Any]) -> TrailEvent:
    record = json.loads(event.get("CloudTrailEvent") or "{}")
    record.setdefault("eventID", event.get("EventId", ""))
    record.setdefault("eventTime", event["EventTime"])
    record.setdefault("eventName", event.get("EventName", ""))
    record.setdefault("eventSource", event.get("EventSource", ""))
    record.setdefault("readOnly", event.get("ReadOnly"))
    if event.get("Username") and not record.get("userIdentity"):
        record["userIdentity"] = {"userName": event["Username"]}
    return event_from_record(record)


def error_in_words(error: Exception) -> str:
    """An AWS error as a short reason: its code (AccessDenied), else its message."""
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code") or ""
        return f"HTTP {code} error" if code.isdigit() else code or str(error)
    return str(error) or type(error).__name__


def lookup_events(
    cloudtrail: Any,
    *,
    start: datetime,
    end: datetime,
    rate_limiter: RateLimiter,
    lookup_attribute: tuple[str, str] | None = None,
    max_pages: int = 100,
) -> list[TrailEvent]:
    """Management events between start and end, every page up to `max_pages`.

    Raises IncompleteLookup, carrying the events read so far, when a call fails or
    `max_pages` is reached with more to read. Use a us-east-1 client: IAM, STS and
    sign-in events are recorded there.
    """
    request: dict[str, Any] = {"StartTime": start, "EndTime": end, "MaxResults": LOOKUP_PAGE_SIZE}
    if lookup_attribute is not None:
        key, value = lookup_attribute
        request["LookupAttributes"] = [{"AttributeKey": key, "AttributeValue": value}]
    events: list[TrailEvent] = []
    for _page in range(max_pages):
        rate_limiter.wait()
        try:
            page = cloudtrail.lookup_events(**request)
        except (ClientError, BotoCoreError) as error:
            raise IncompleteLookup(events, error_in_words(error)) from error
        events += [_event_from_lookup(event) for event in page.get("Events", [])]
        if not page.get("NextToken"):
            return events
        request["NextToken"] = page["NextToken"]
    raise IncompleteLookup(events, f"stopped after {max_pages} pages with more events left")


def _days(start: datetime, end: datetime) -> Iterator[date]:
    day = start.astimezone(UTC).date()
    while day <= end.astimezone(UTC).date():
        yield day
        day += timedelta(days=1)


def _log_keys(s3: Any, bucket: str, prefix: str) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if item["Key"].endswith(".json.gz"):
                yield item["Key"]


def _log_records(s3: Any, bucket: str, key: str) -> list[dict[str, Any]]:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return json.loads(gzip.decompress(body)).get("Records", [])


def read_s3_logs(
    s3: Any,
    *,
    bucket: str,
    account_id: str,
    regions: tuple[str, ...] | list[str],
    start: datetime,
    end: datetime,
    key_prefix: str = "",
) -> list[TrailEvent]:
    """Events between start and end from the trail's files, one day folder at a time.

    Files live under `<key_prefix>AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`.
    """
    events = []
    for region in regions:
        for day in _days(start, end):
            prefix = f"{key_prefix}AWSLogs/{account_id}/CloudTrail/{region}/{day:%Y/%m/%d}/"
            for key in _log_keys(s3, bucket, prefix):
                parsed = (event_from_record(r) for r in _log_records(s3, bucket, key))
                events += [event for event in parsed if start <= event.time <= end]
    return events
