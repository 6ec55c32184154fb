"""The digest's use cases on a real SQLite store and an in-memory account and fixes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from config import parse_config
from domain.digest import Digest, finding_id
from domain.errors import UserError
from domain.hygiene import Finding, Severity
from domain.hygiene.findings import Principal
from services.digest import DigestService
from services.digest_actions import DigestActions
from storage.audit import AuditLog
from storage.database import open_store
from storage.digests import DigestStore
from tests.unit.services.fakes import FakeAccountData, FakeFixes

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
ADMIN, DEV = "U0ADMIN", "U0DEV"


def config(**digest):
    return parse_config({
        "admins": [ADMIN], "approvals_channel": "C0APPROVALS",
        "roles": {"ops": {"arn": "arn:aws:iam::123456789012:role/Ops", "max_duration": "1h"}},
        "digest": {"channel": "C0HYGIENE", "at": "09:00", **digest}})


@pytest.fixture
def store(tmp_path):
    made = open_store(tmp_path / "g.db")
    yield made
    made.close()


def service(store, source=None, posted=None):
    def publish(digest, digest_id):
        posted.append(digest_id)
        return "C0HYGIENE", f"{digest_id}.0"
    return DigestService(config(), DigestStore(store), AuditLog(store),
                         source or FakeAccountData(), publisher=publish if posted is not None
                         else None)


def test_the_daily_digest_is_posted_once_a_day_and_audited(store):
    posted: list[int] = []
    digests = service(store, posted=posted)
    assert digests.post_daily(NOW) is True and digests.post_daily(NOW) is False
    assert posted == [1] and digests.latest_posted().channel == "C0HYGIENE"
    assert [e.action for e in AuditLog(store).entries()] == ["digest.posted"]
    assert digests.catch_up(NOW + timedelta(hours=1)) is False


def test_the_snapshot_is_read_for_gatehouses_own_account(store):
    source = FakeAccountData()
    digest, _ = service(store, source).build(NOW)
    assert source.snapshots == [(NOW, "123456789012")] and not digest.missing


def test_an_unreadable_identity_is_named_as_a_missing_source(store):
    digest, snapshot = service(store, FakeAccountData(refuse_identity=True)).build(NOW)
    assert [m.source for m in snapshot.missing] == ["STS GetCallerIdentity"]
    assert "AccessDenied" in snapshot.missing[0].reason


def test_without_a_channel_nothing_is_posted(store):
    with pytest.raises(RuntimeError, match="no channel"):
        service(store).post(NOW, trigger="command", actor=ADMIN)


def actions(store, fixes):
    return DigestActions(config(), DigestStore(store), AuditLog(store), fixes)


def user_finding(check_id, user, subject):
    arn = f"arn:aws:iam::123456789012:user/people/{user}"
    return Finding(check_id, Severity.MEDIUM, f"{user}: {check_id}",
                   (Principal("user", user, arn),), "detail", "fix", user, subject)


def stored_buttons(store):
    """Keep a digest with a key finding for svc and a password finding for alice; their
    fix buttons' values."""
    key = user_finding("user.access_key_too_old", "svc", "access_key_1")
    password = user_finding("user.console_without_mfa", "alice", "password")
    digest = Digest(now=NOW, day=NOW.date(), account_id="123456789012",
                    findings=(key, password))
    DigestStore(store).save(digest, trigger="test", summary={})
    return finding_id(key.key), finding_id(password.key)


def test_a_fix_is_applied_once_and_audited(store):
    fixes = FakeFixes()
    fixes.active[("svc", 1)] = "AKIASVC1"
    acting = actions(store, fixes)
    key, password = stored_buttons(store)
    assert acting.deactivate_key(f"{key}|", ADMIN, NOW).startswith("Deactivated access key")
    assert "already inactive" in acting.deactivate_key(f"{key}|", ADMIN, NOW)
    fixes.passwords.add("alice")
    assert acting.remove_password(password, ADMIN, NOW).startswith("Removed the console")
    assert "no console password" in acting.remove_password(password, ADMIN, NOW)
    assert [e.action for e in AuditLog(store).entries()] == ["digest.fix_applied"] * 2


def test_a_refused_fix_or_a_non_admin_changes_nothing(store):
    fixes = FakeFixes()
    fixes.refuse = True
    acting = actions(store, fixes)
    key, password = stored_buttons(store)
    with pytest.raises(UserError, match="Could not deactivate the key: AWS refused"):
        acting.deactivate_key(f"{key}|", ADMIN, NOW)
    with pytest.raises(UserError, match="Only Gatehouse admins"):
        acting.remove_password(password, DEV, NOW)
    with pytest.raises(UserError, match="out of date"):
        acting.deactivate_key("not a value|9", ADMIN, NOW)
    with pytest.raises(UserError, match="out of date"):
        acting.deactivate_key("svc|1|", ADMIN, NOW)
    with pytest.raises(UserError, match="does not match the finding"):
        acting.remove_password(key, ADMIN, NOW)
    with pytest.raises(UserError, match="not in any stored digest"):
        acting.remove_password("0123456789abcdef", ADMIN, NOW)
    assert list(AuditLog(store).entries()) == []


def test_an_acknowledgement_needs_a_stored_finding_and_a_date_ahead(store):
    acting = actions(store, FakeFixes())
    with pytest.raises(UserError, match="not in any stored digest"):
        acting.acknowledge("f123", date(2026, 12, 31), ADMIN, NOW)
