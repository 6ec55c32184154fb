"""CloudTrail readers: LookupEvents through a Stubber, rate limiting, S3 log files on moto."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from aws.cloudtrail import (
    IncompleteLookup,
    RateLimiter,
    event_from_record,
    lookup_events,
    read_s3_logs,
)
from aws.collect import collect_snapshot

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
START = NOW - timedelta(hours=24)
ACCOUNT = "123456789012"


class FakeClock:
    """A monotonic clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def record(name: str, at: datetime, **fields) -> dict:
    base = {
        "eventVersion": "1.08", "eventID": f"{name}-{at.isoformat()}",
        "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "eventName": name,
        "eventSource": "iam.amazonaws.com", "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7", "readOnly": False,
        "userIdentity": {"type": "IAMUser", "userName": "alice",
                         "arn": f"arn:aws:iam::{ACCOUNT}:user/alice"},
    }
    return {**base, **fields}


def lookup_page(records: list[dict], token: str | None) -> dict:
    page = {"Events": [{
        "EventId": r["eventID"], "EventName": r["eventName"], "ReadOnly": "false",
        "EventTime": datetime.fromisoformat(r["eventTime"]), "EventSource": r["eventSource"],
        "Username": "alice", "CloudTrailEvent": json.dumps(r),
    } for r in records]}
    if token:
        page["NextToken"] = token
    return page


@pytest.fixture
def cloudtrail():
    client = boto3.client("cloudtrail", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def three_pages(stubber: Stubber, attribute: list | None = None) -> None:
    expected = {"StartTime": START, "EndTime": NOW, "MaxResults": 50}
    if attribute:
        expected["LookupAttributes"] = attribute
    pages = [
        ([record("CreateUser", NOW - timedelta(hours=1))], "t1"),
        ([record("ConsoleLogin", NOW - timedelta(hours=2), eventSource="signin.amazonaws.com",
                 additionalEventData={"MFAUsed": "No"},
                 responseElements={"ConsoleLogin": "Success"})], "t2"),
        ([record("DescribeInstances", NOW - timedelta(hours=3), errorCode="AccessDenied",
                 readOnly=True, eventSource="ec2.amazonaws.com",
                 userIdentity={"type": "AssumedRole",
                               "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Deploy/ci",
                               "sessionContext": {"sessionIssuer": {
                                   "type": "Role", "userName": "Deploy",
                                   "arn": f"arn:aws:iam::{ACCOUNT}:role/Deploy"}}})], None),
    ]
    for number, (records, token) in enumerate(pages):
        params = {**expected, "NextToken": f"t{number}"} if number else expected
        stubber.add_response("lookup_events", lookup_page(records, token), params)


def test_lookup_events_reads_every_page(cloudtrail):
    client, stubber = cloudtrail
    three_pages(stubber)
    clock = FakeClock()
    events = lookup_events(client, start=START, end=NOW,
                           rate_limiter=RateLimiter(2, clock=clock, sleep=clock.sleep))
    create, login, denied = events
    assert create.event_name == "CreateUser" and create.read_only is False
    assert create.principal_arn.endswith(":user/alice") and create.username == "alice"
    assert create.time == NOW - timedelta(hours=1) and create.time.tzinfo is not None
    assert (login.console_login_outcome, login.mfa_used) == ("Success", False)
    assert denied.error_code == "AccessDenied" and denied.read_only is True
    assert denied.session_issuer_arn == f"arn:aws:iam::{ACCOUNT}:role/Deploy"
    assert denied.principal_type == "AssumedRole" and denied.username == "Deploy"


def test_lookup_events_passes_one_lookup_attribute(cloudtrail):
    client, stubber = cloudtrail
    three_pages(stubber, [{"AttributeKey": "EventSource",
                           "AttributeValue": "iam.amazonaws.com"}])
    clock = FakeClock()
    events = lookup_events(client, start=START, end=NOW,
                           rate_limiter=RateLimiter(2, clock=clock, sleep=clock.sleep),
                           lookup_attribute=("EventSource", "iam.amazonaws.com"))
    assert len(events) == 3


def test_lookup_events_stays_within_two_requests_a_second(cloudtrail):
    client, stubber = cloudtrail
    three_pages(stubber)
    clock, sent_at = FakeClock(), []
    client.meta.events.register_first("before-call.*.*", lambda **_: sent_at.append(clock.now))
    lookup_events(client, start=START, end=NOW,
                  rate_limiter=RateLimiter(2, clock=clock, sleep=clock.sleep))
    assert sent_at == [0.0, 0.5, 1.0]
    assert all(later - earlier >= 1.0 for earlier, later in zip(sent_at, sent_at[2:], strict=False))
    assert clock.sleeps == [0.5, 0.5]


def test_rate_limiter_does_not_sleep_after_a_pause():
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock, sleep=clock.sleep)
    limiter.wait()
    clock.now += 3
    limiter.wait()
    limiter.wait()
    assert clock.sleeps == [0.5]


def test_lookup_events_failure_keeps_the_pages_already_read(cloudtrail):
    client, stubber = cloudtrail
    stubber.add_response("lookup_events", lookup_page([record("CreateUser", NOW)], "t1"))
    stubber.add_client_error("lookup_events", "AccessDeniedException", http_status_code=400)
    clock = FakeClock()
    with pytest.raises(IncompleteLookup) as raised:
        lookup_events(client, start=START, end=NOW,
                      rate_limiter=RateLimiter(2, clock=clock, sleep=clock.sleep))
    assert raised.value.reason == "AccessDeniedException"
    assert [e.event_name for e in raised.value.events] == ["CreateUser"]


def test_lookup_events_stops_at_max_pages(cloudtrail):
    client, stubber = cloudtrail
    for number in range(2):
        stubber.add_response("lookup_events", lookup_page([record("GetUser", NOW)], f"t{number}"))
    clock = FakeClock()
    with pytest.raises(IncompleteLookup, match="stopped after 2 pages"):
        lookup_events(client, start=START, end=NOW, max_pages=2,
                      rate_limiter=RateLimiter(2, clock=clock, sleep=clock.sleep))


def test_root_record_without_user_name():
    event = event_from_record(record("ConsoleLogin", NOW, userIdentity={
        "type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root"},
        responseElements={"ConsoleLogin": "Failure"}, errorMessage="Failed authentication"))
    assert (event.principal_type, event.username, event.principal) == (
        "Root", None, f"arn:aws:iam::{ACCOUNT}:root")
    assert event.console_login_outcome == "Failure" and event.mfa_used is None


def put_log_file(s3, key: str, records: list[dict]) -> None:
    body = gzip.compress(json.dumps({"Records": records}).encode())
    s3.put_object(Bucket="trail", Key=key, Body=body)


def trail_key(day: datetime, region: str = "us-east-1", name: str = "a") -> str:
    return (f"AWSLogs/{ACCOUNT}/CloudTrail/{region}/{day:%Y/%m/%d}/"
            f"{ACCOUNT}_CloudTrail_{region}_{day:%Y%m%dT%H%M}Z_{name}.json.gz")


@pytest.fixture
def trail_bucket(aws):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="trail")
    yesterday, today = NOW - timedelta(days=1), NOW
    put_log_file(s3, trail_key(NOW - timedelta(days=2)), [record("Old", NOW - timedelta(hours=47))])
    put_log_file(s3, trail_key(yesterday, name="early"), [
        record("TooEarly", NOW - timedelta(hours=29)),
        record("Yesterday", NOW - timedelta(hours=22)),
    ])
    put_log_file(s3, trail_key(today), [record("Today", NOW - timedelta(hours=1))])
    put_log_file(s3, trail_key(today, "eu-west-1"), [
        record("Ireland", NOW - timedelta(hours=2), awsRegion="eu-west-1")])
    s3.put_object(Bucket="trail", Key=trail_key(today).replace(".json.gz", ".txt"), Body=b"x")
    return s3


def test_read_s3_logs_returns_only_the_last_24_hours(trail_bucket):
    events = read_s3_logs(trail_bucket, bucket="trail", account_id=ACCOUNT,
                          regions=["us-east-1"], start=START, end=NOW)
    assert sorted(e.event_name for e in events) == ["Today", "Yesterday"]


def test_read_s3_logs_covers_every_region_asked_for(trail_bucket):
    events = read_s3_logs(trail_bucket, bucket="trail", account_id=ACCOUNT,
                          regions=["us-east-1", "eu-west-1"], start=START, end=NOW)
    assert sorted(e.event_name for e in events) == ["Ireland", "Today", "Yesterday"]
    assert {e.region for e in events} == {"us-east-1", "eu-west-1"}


def test_read_s3_logs_reads_only_the_days_of_the_window(trail_bucket):
    listed = []
    trail_bucket.meta.events.register(
        "provide-client-params.s3.ListObjectsV2",
        lambda params, **_: listed.append(params["Prefix"].split("/", 3)[-1]))
    read_s3_logs(trail_bucket, bucket="trail", account_id=ACCOUNT, regions=["us-east-1"],
                 start=START, end=NOW)
    assert listed == ["us-east-1/2026/03/01/", "us-east-1/2026/03/02/"]


def test_snapshot_merges_lookup_and_s3_events_once(aws, trail_bucket, cloudtrail):
    client, stubber = cloudtrail
    today = record("Today", NOW - timedelta(hours=1))
    stubber.add_response("lookup_events", lookup_page([today], None))
    clock = FakeClock()
    snapshot = collect_snapshot(
        aws.client("iam"), client, trail_bucket, now=NOW, account_id=ACCOUNT,
        cloudtrail_bucket="trail", sleep=clock.sleep,
        rate_limiter=RateLimiter(2, clock=clock, sleep=clock.sleep))
    assert [e.event_name for e in snapshot.events] == ["Yesterday", "Today"]
    assert snapshot.events_read and snapshot.missing == ()


def test_snapshot_keeps_lookup_events_when_the_bucket_fails(aws, cloudtrail):
    client, stubber = cloudtrail
    stubber.add_response("lookup_events", lookup_page([record("CreateUser", NOW)], None))
    clock = FakeClock()
    snapshot = collect_snapshot(
        aws.client("iam"), client, aws.client("s3"), now=NOW, account_id=ACCOUNT,
        cloudtrail_bucket="no-such-bucket", sleep=clock.sleep,
        rate_limiter=RateLimiter(2, clock=clock, sleep=clock.sleep))
    assert [e.event_name for e in snapshot.events] == ["CreateUser"]
    assert [str(m) for m in snapshot.missing] == ["CloudTrail S3 logs: NoSuchBucket"]
