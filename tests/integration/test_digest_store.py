"""Digests kept in SQLite: previous findings, trend, AccessDenied baseline, once a day, activity."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.digest import Acknowledgement, Digest, GatehouseActivity
from domain.hygiene import Finding, Principal, Severity
from domain.requests import Kind, Status
from storage.audit import AuditLog
from storage.database import open_store
from storage.digests import DigestStore
from storage.repository import Repository

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    opened = open_store(tmp_path / "g.db")
    yield opened
    opened.close()


def finding(name: str, severity=Severity.LOW) -> Finding:
    return Finding("role.unused", severity, f"Role {name} is unused",
                   (Principal("role", name, f"arn:aws:iam::1:role/{name}"),), "d", "r")


def digest(at: datetime, findings, hidden=(), denied=None) -> Digest:
    ack = Acknowledgement("x", at.date(), "U0ADMIN", at)
    return Digest(now=at, day=at.date(), account_id="1", findings=tuple(findings),
                  acknowledged=tuple((f, ack) for f in hidden), denied_counts=denied or {})


def test_previous_digest_keeps_every_finding_with_its_state(store):
    digests = DigestStore(store)
    older = digests.save(digest(NOW - timedelta(days=2), [finding("old")]), trigger="daily",
                         summary={})
    digests.set_message(older, "C0HYGIENE", "1.0")
    kept = digest(NOW - timedelta(days=1), [finding("a", Severity.HIGH)], hidden=[finding("b")])
    digest_id = digests.save(kept, trigger="command", summary={"open": 1})
    assert digests.previous(NOW).created_at == NOW - timedelta(days=2)  # this one was not posted
    assert digests.latest().id == digest_id and digests.latest(posted=True).id == older
    digests.set_message(digest_id, "C0HYGIENE", "1.5")
    assert digests.latest(posted=True).summary == {"open": 1}
    previous = digests.previous(NOW)
    assert previous.created_at == NOW - timedelta(days=1)
    assert [(f.title, f.severity, f.acknowledged) for f in previous.findings] == [
        ("Role a is unused", Severity.HIGH, False), ("Role b is unused", Severity.LOW, True)]
    assert digests.finding(previous.findings[0].fid).title == "Role a is unused"
    assert digests.finding("nope") is None


def test_trend_and_baseline_take_the_last_digest_of_each_day(store):
    digests = DigestStore(store)
    for days, count, denied in ((3, 1, {"ci": 4}), (1, 2, {"ci": 1}), (1, 5, {"ci": 2})):
        at = NOW - timedelta(days=days) + timedelta(minutes=count)
        digests.save(digest(at, [finding(str(n)) for n in range(count)], denied=denied),
                     trigger="daily", summary={})
    today = NOW.date()
    assert digests.open_counts(today - timedelta(days=30), today) == {
        today - timedelta(days=3): 1, today - timedelta(days=1): 5}
    assert digests.denied_history(today - timedelta(days=7), today - timedelta(days=1)) == [
        {"ci": 4}, {"ci": 2}]


def test_a_day_is_claimed_once_and_given_back_only_if_nothing_was_posted(store):
    digests = DigestStore(store)
    day = date(2026, 11, 30)
    assert digests.claim_day(day, NOW) and not digests.claim_day(day, NOW)
    digests.release_day(day)
    assert not digests.posted_on(day) and digests.claim_day(day, NOW)
    digests.mark_day(day, 7)
    digests.release_day(day)
    assert digests.posted_on(day) and not digests.claim_day(day, NOW)


def test_acknowledging_again_replaces_the_date(store):
    digests = DigestStore(store)
    digests.acknowledge(Acknowledgement("k", date(2026, 12, 1), "U1", NOW, "why"))
    digests.acknowledge(Acknowledgement("k", date(2026, 12, 9), "U2", NOW))
    assert digests.acknowledgements() == {
        "k": Acknowledgement("k", date(2026, 12, 9), "U2", NOW)}


def test_gatehouse_activity_over_the_last_day(store):
    repo = Repository(store, AuditLog(store))

    def request(who: str, at: datetime):
        return repo.create_request(kind=Kind.ACCESS, requester=who, role="dev",
                                   duration_seconds=3600, reason="r", approvals_required=1,
                                   now=at)
    old = request("U1", NOW - timedelta(days=2))
    repo.move(old.id, Status.APPROVED, actor="U9", now=NOW - timedelta(days=2))
    for minutes, who in ((10, "U2"), (30, "U3")):
        made = request(who, NOW - timedelta(hours=3))
        repo.move(made.id, Status.APPROVED, actor="U9",
                  now=NOW - timedelta(hours=3) + timedelta(minutes=minutes))
        repo.move(made.id, Status.ACTIVE, actor="gatehouse", now=NOW - timedelta(hours=2))
        repo.create_grant(made, role_arn="arn:aws:iam::1:role/dev", started_at=NOW - timedelta(
            hours=2), ends_at=NOW + timedelta(minutes=minutes), source_identity="s",
            session_name="n")
    auto = request("U4", NOW - timedelta(hours=1))
    repo.move(auto.id, Status.APPROVED, actor="gatehouse", now=NOW - timedelta(hours=1))
    denied = request("U5", NOW - timedelta(hours=1))
    repo.move(denied.id, Status.DENIED, actor="U9", now=NOW)
    request("U6", NOW)
    activity = DigestStore(store).activity(NOW - timedelta(hours=24), NOW)
    assert activity == GatehouseActivity(requests=5, approvals=3, denials=1, grants=2,
                                         median_approval_seconds=1200.0, active_grants=2,
                                         pending=1)


def test_a_digest_that_read_nothing_is_no_baseline(store):
    """Yesterday's digest could read no source: today compares with the one before, and the
    trend shows no false zero."""
    digests = DigestStore(store)
    good = digests.save(digest(NOW - timedelta(days=2), [finding("old")]), trigger="daily",
                        summary={})
    digests.set_message(good, "C0HYGIENE", "1.0")
    blind = replace(digest(NOW - timedelta(days=1), []), nothing_read=True)
    blind_id = digests.save(blind, trigger="daily", summary={})
    digests.set_message(blind_id, "C0HYGIENE", "2.0")
    previous = digests.previous(NOW)
    assert previous is not None and [f.key for f in previous.findings] == [finding("old").key]
    today = NOW.date()
    assert digests.open_counts(today - timedelta(days=30), today) == {
        today - timedelta(days=2): 1}
