"""The digest service on moto: the AccessDenied baseline from stored digests, once a day, config."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aws.account_data import AwsAccountData
from aws.clients import AwsClients
from aws.fixes import IamFixes
from config import parse_config
from domain.digest import Digest, finding_id
from domain.hygiene import AccountSnapshot, Finding, Principal, Severity
from services.digest import DigestService, gatehouse_arns, role_grant_limits
from services.digest_actions import DigestActions
from storage.audit import AuditLog
from storage.database import open_store
from storage.digests import DigestStore
from tests.digest_seed import (
    ACCOUNT,
    DigestClients,
    record,
    seed_account,
    stubbed_cloudtrail,
    user_identity,
)

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CI = f"arn:aws:iam::{ACCOUNT}:user/ci"


def config(**digest):
    role = f"arn:aws:iam::{ACCOUNT}:role/"
    return parse_config({
        "timezone": "Europe/Paris", "admins": ["U0ADMIN"], "approvals_channel": "C0APPROVALS",
        "roles": {"a": {"arn": role + "Dev", "max_duration": "1h"},
                  "b": {"arn": role + "Dev", "max_duration": "4h"},
                  "c": {"arn": role + "Ops", "max_duration": "30m"}},
        "digest": {"channel": "C0HYGIENE", **digest}})


def denied_events(count: int) -> list[dict]:
    return [record("GetObject", NOW - timedelta(minutes=n + 1), who=user_identity("ci"),
                   source="s3.amazonaws.com", errorCode="AccessDenied", eventID=f"d{n}")
            for n in range(count)]


@pytest.fixture
def service(aws, tmp_path):
    store = open_store(tmp_path / "g.db")
    cloudtrail, _ = stubbed_cloudtrail([denied_events(12), denied_events(12)])
    clients = DigestClients(AwsClients.from_environment("us-east-1"), cloudtrail)
    made = DigestService(config(), DigestStore(store), AuditLog(store),
                         AwsAccountData(clients, sleep=lambda _: None))
    yield made
    store.close()


def spikes(digest: Digest) -> list[str]:
    return [f.principals[0].arn for f in digest.findings
            if f.check_id == "trail.access_denied_spike"]


def test_denied_spike_is_measured_against_the_stored_week(service):
    digest, _ = service.build(NOW)
    assert spikes(digest) == [CI] and digest.denied_counts == {CI: 12}
    for days in range(1, 8):
        at = NOW - timedelta(days=days)
        service.store.save(Digest(now=at, day=at.date(), account_id=ACCOUNT, findings=(),
                                  denied_counts={CI: 12}), trigger="daily", summary={})
    digest, _ = service.build(NOW)
    assert spikes(digest) == []


def test_a_failed_post_gives_the_day_back(service):
    def broken(digest, digest_id):
        raise OSError("Slack is down")
    service.publisher = broken
    with pytest.raises(OSError):
        service.post_daily(NOW)
    assert not service.store.posted_on(NOW.date())
    service.publisher = lambda digest, digest_id: ("C0HYGIENE", "1.0")
    assert service.post_daily(NOW) is True and service.post_daily(NOW) is False


def test_the_day_and_the_hour_are_in_the_config_timezone(aws, tmp_path):
    store = open_store(tmp_path / "g.db")
    made = DigestService(config(at="09:00"), DigestStore(store), AuditLog(store),
                         AwsAccountData(AwsClients.from_environment("us-east-1")))
    made.post_daily = lambda now: now  # what catch_up would post, without AWS
    assert made.catch_up(datetime(2026, 11, 30, 7, 59, tzinfo=UTC)) is False  # 08:59 in Paris
    assert made.catch_up(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    store.close()


def test_role_limits_and_gatehouse_principals():
    assert role_grant_limits(config()) == {f"arn:aws:iam::{ACCOUNT}:role/Dev": 14400,
                                           f"arn:aws:iam::{ACCOUNT}:role/Ops": 1800}
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/Gatehouse/i-123"
    assert gatehouse_arns(session, AccountSnapshot(collected_at=NOW)) == {
        session, f"arn:aws:iam::{ACCOUNT}:role/Gatehouse"}
    user = f"arn:aws:iam::{ACCOUNT}:user/gatehouse"
    assert gatehouse_arns(user, AccountSnapshot(collected_at=NOW)) == {user}


def test_the_deploy_policy_allows_every_call_the_digest_makes(service, aws):
    seed_account(aws.client("iam"))
    aws.client("s3").create_bucket(Bucket="trail")
    calls: set[str] = set()
    clients = service.source.clients
    for client in (clients.iam(), clients.s3(), clients.trail):
        prefix = client.meta.service_model.signing_name
        client.meta.events.register_first("before-call.*.*", lambda model, prefix=prefix, **_:
                                          calls.add(f"{prefix}:{model.name}"))
    service.config = config(cloudtrail_bucket="trail")
    digest, _ = service.build(NOW)
    old_key = Finding("user.access_key_too_old", Severity.MEDIUM, "svc: old key 1",
                      (Principal("user", "svc", "arn:aws:iam::123456789012:user/svc"),), "", "",
                      "svc", "access_key_1")
    service.store.save(replace(digest, findings=(*digest.findings, old_key)), trigger="test",
                       summary={})
    actions = DigestActions(service.config, service.store, service.audit, IamFixes(clients))
    password = next(f for f in digest.fixes.values() if f.kind == "remove_password")
    actions.deactivate_key(f"{finding_id(old_key.key)}|", "U0ADMIN", NOW)
    actions.remove_password(password.button_value, "U0ADMIN", NOW)
    policy = json.loads(Path("deploy/iam-policy-digest.json").read_text())
    allowed = {a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(
        s["Action"], str) else s["Action"])}
    assert {"cloudtrail:LookupEvents", "s3:ListObjectsV2", "iam:ListAccessKeys"} <= calls
    allowed |= {"s3:ListObjectsV2"}  # authorised by s3:ListBucket
    assert calls <= allowed
