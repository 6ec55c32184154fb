"""The whole text of `python bot.py digest --print` for a fixed seeded account at a fixed time.

Run with UPDATE_GOLDEN=1 to rewrite tests/golden/digest.txt after an intended change, then
read the diff: it is what users will see.
"""

from __future__ import annotations

import io
import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from aws.account_data import AwsAccountData
from aws.clients import AwsClients
from cli import print_digest
from domain.digest import Acknowledgement
from domain.requests import Kind, Status
from services.digest import DigestService
from storage.audit import AuditLog
from storage.database import open_store
from storage.digests import DigestStore
from storage.repository import Repository
from tests.digest_seed import (
    ACCOUNT,
    DigestClients,
    freeze_moto_iam,
    seed_account,
    seed_iam_risks,
    stubbed_cloudtrail,
    trail_records,
)

GOLDEN = Path(__file__).parent.parent / "golden" / "digest.txt"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
CONFIG = {
    "timezone": "UTC", "admins": ["U0ADMIN"], "approvals_channel": "C0APPROVALS",
    "roles": {"ops": {"arn": f"arn:aws:iam::{ACCOUNT}:role/open", "max_duration": "2h"}},
    "digest": {"channel": "C0HYGIENE", "unused_after_days": 90, "key_max_age_days": 90,
               "min_admins": 2, "max_admins": 5, "require_hardware_mfa": True,
               "max_session_for_humans": "4h"},
}


def seed_activity(store, now: datetime) -> None:
    """Yesterday in Gatehouse: one request approved after 12 minutes and granted, one denied,
    one still pending."""
    repo = Repository(store, AuditLog(store))
    created = now - timedelta(hours=5)
    approved = repo.create_request(kind=Kind.ACCESS, requester="U0DEV", role="ops",
                                   duration_seconds=1800, reason="deploy", approvals_required=1,
                                   now=created)
    repo.move(approved.id, Status.APPROVED, actor="U0LEAD", now=created + timedelta(minutes=12))
    repo.move(approved.id, Status.ACTIVE, actor="gatehouse", now=created + timedelta(minutes=12))
    repo.create_grant(approved, role_arn=CONFIG["roles"]["ops"]["arn"],
                      started_at=created + timedelta(minutes=12),
                      ends_at=created + timedelta(minutes=42), source_identity="dev@example.com",
                      session_name="gatehouse-U0DEV-R1")
    denied = repo.create_request(kind=Kind.ACCESS, requester="U0DEV2", role="ops",
                                 duration_seconds=1800, reason="look around", approvals_required=1,
                                 now=now - timedelta(hours=3))
    repo.move(denied.id, Status.DENIED, actor="U0LEAD", now=now - timedelta(hours=2))
    repo.create_request(kind=Kind.ACCESS, requester="U0OTHER", role="ops", duration_seconds=1800,
                        reason="check a bill", approvals_required=1, now=now - timedelta(hours=1))


def yesterdays_digest(env: dict, config, clients) -> None:
    """A digest kept a day earlier, so today's shows what is new and what was resolved."""
    store = open_store(env["GATEHOUSE_DB"])
    service = DigestService(config, DigestStore(store), AuditLog(store),
                            AwsAccountData(clients, sleep=lambda _: None),
                            publisher=lambda digest, digest_id: ("C0HYGIENE", "1.000"))
    service.post_daily(NOW - timedelta(days=1))
    service.store.acknowledge(Acknowledgement(
        f"role.unused|arn:aws:iam::{ACCOUNT}:role/scoped", date(2026, 12, 31), "U0ADMIN",
        NOW - timedelta(hours=20), "kept for the partner account"))
    seed_activity(store, NOW)
    store.close()


@pytest.fixture
def account(aws, monkeypatch, tmp_path):
    freeze_moto_iam(monkeypatch)
    iam = aws.client("iam")
    seed_account(iam)
    last_used = seed_iam_risks(iam)
    config_path = tmp_path / "gatehouse.yml"
    config_path.write_text(yaml.safe_dump(CONFIG))
    return iam, {"GATEHOUSE_CONFIG": str(config_path), "GATEHOUSE_DB": str(tmp_path / "g.db"),
                 "last_used": last_used}


def test_printed_digest_matches_the_golden_file(account):
    from config import load_config

    iam, env = account
    cloudtrail, stubber = stubbed_cloudtrail([[], trail_records(NOW)])
    clients = DigestClients(AwsClients.from_environment("us-east-1"), cloudtrail,
                            env.pop("last_used"))
    yesterdays_digest(env, load_config(env["GATEHOUSE_CONFIG"]), clients)
    iam.delete_user_policy(UserName="carol", PolicyName="read")  # resolved today
    iam.create_user(UserName="dave")                              # new today
    iam.create_login_profile(UserName="dave", Password="Correct-Horse-9")

    out = io.StringIO()
    assert print_digest(env, post=False, now=NOW, aws_clients=clients, out=out,
                        sleep=lambda _: None) == 0
    stubber.assert_no_pending_responses()
    text = out.getvalue()
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def test_printing_keeps_nothing_and_names_a_missing_source(account):
    iam, env = account
    env.pop("last_used")
    cloudtrail, _ = stubbed_cloudtrail([None])
    clients = DigestClients(AwsClients.from_environment("us-east-1"), cloudtrail)
    out = io.StringIO()
    assert print_digest(env, post=False, now=NOW, aws_clients=clients, out=out) == 0
    assert "Missing sources: CloudTrail LookupEvents: AccessDenied" in out.getvalue()
    assert "First digest" in out.getvalue()
    store = open_store(env["GATEHOUSE_DB"])
    assert store.query("SELECT * FROM digests") == []
    assert store.query("SELECT * FROM audit") == []
    store.close()
