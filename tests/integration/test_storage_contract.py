"""One storage contract, two databases: every test here runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import json
import threading
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.break_glass import Verdict
from domain.errors import DuplicateRequest
from domain.iam import IamUser
from domain.jobs import JobKind
from domain.requests import Kind, Status
from domain.rotation import RotationInProgress, RotationPlan
from storage.audit import AuditLog, export
from storage.break_glass import BreakGlassRepository
from storage.database import UniqueViolation, open_store
from storage.digests import DigestStore
from storage.jobs import LEASE, JobQueue
from storage.key_mappings import KeyMappingRepository
from storage.repository import Repository
from storage.rotations import RotationRepository
from tests.integration.test_digest_store import (  # noqa: F401 - run again on both databases
    test_a_day_is_claimed_once_and_given_back_only_if_nothing_was_posted,
    test_a_digest_that_read_nothing_is_no_baseline,
    test_acknowledging_again_replaces_the_date,
    test_gatehouse_activity_over_the_last_day,
    test_previous_digest_keeps_every_finding_with_its_state,
    test_trend_and_baseline_take_the_last_digest_of_each_day,
)

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "g.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(location):
    opened = open_store(location)
    yield opened
    opened.close()


@pytest.fixture
def repo(store):
    return Repository(store, AuditLog(store))


def new_request(repo, requester="U0DEV", role="dev", now=NOW):
    return repo.create_request(kind=Kind.ACCESS, requester=requester, role=role,
                               duration_seconds=3600, reason="deploy", approvals_required=1,
                               now=now)


def test_requests_are_numbered_moved_once_and_audited(repo):
    first, second = new_request(repo), new_request(repo, requester="U0DEV2")
    assert (first.id, second.id, first.status) == (1, 2, Status.PENDING)
    with pytest.raises(DuplicateRequest):
        new_request(repo)
    moved = repo.move(first.id, Status.APPROVED, actor="U0LEAD", now=NOW, decided_by="U0LEAD",
                      decided_at=NOW)
    assert moved.status is Status.APPROVED and moved.decided_at == NOW
    assert repo.move(first.id, Status.DENIED, actor="U0LEAD", now=NOW,
                     expect=[Status.PENDING]) is None
    assert [r.id for r in repo.pending()] == [second.id]
    assert [r.id for r in repo.approved_waiting()] == [first.id]
    assert [e.action for e in repo.audit.entries()] == [
        "request.created", "request.created", "request.approved"]


def test_votes_once_per_approver(repo):
    request = new_request(repo)
    assert repo.record_vote(request.id, "U0LEAD", "approve", NOW) is True
    assert repo.record_vote(request.id, "U0LEAD", "approve", NOW) is False
    assert repo.record_vote(request.id, "U0LEAD2", "approve", NOW) is True
    assert repo.approvers_of(request.id) == ["U0LEAD", "U0LEAD2"]


def test_grants_end_once(repo):
    request = new_request(repo)
    grant = repo.create_grant(request, role_arn="arn:aws:iam::1:role/Dev", started_at=NOW,
                              ends_at=NOW + timedelta(hours=1), source_identity="U0DEV",
                              session_name="gh-1")
    assert repo.get(request.id).grant_id == grant.id
    repo.update_grant(grant.id, delivered=True, dm_channel="D1", dm_ts="1.1")
    assert repo.grant(grant.id).delivered is True
    assert [g.id for g in repo.live_grants_of("U0DEV")] == [grant.id]
    assert repo.end_grant(grant.id, Status.EXPIRED, NOW) is True
    assert repo.end_grant(grant.id, Status.REVOKED, NOW) is False
    assert repo.live_grants() == [] and repo.grant(grant.id).end_status is Status.EXPIRED
    assert [r.id for r in repo.requests_of_grant(grant.id)] == [request.id]


def test_jobs_schedule_claim_finish_retry(store):
    jobs = JobQueue(store)
    jobs.schedule(JobKind.EXPIRE_GRANT, NOW, key="g1", grant_id=1, payload={"a": 1})
    jobs.schedule(JobKind.EXPIRE_GRANT, NOW + timedelta(hours=1), key="g2")
    [job] = jobs.due(NOW)
    assert (job.key, job.payload, job.grant_id) == ("g1", {"a": 1}, 1)
    assert jobs.claim(job, NOW) is True and jobs.claim(job, NOW) is False
    assert jobs.due(NOW) == [] and jobs.oldest_due(NOW) is None
    later = NOW + LEASE + timedelta(seconds=1)  # the lease lapsed: another worker takes it
    assert [j.id for j in jobs.due(later)] == [job.id] and jobs.claim(job, later) is True
    jobs.retry(job, later, "boom", timedelta(minutes=1))
    assert jobs.due(later) == [] and jobs.oldest_due(later + timedelta(minutes=1)) is not None
    [again] = jobs.due(later + timedelta(minutes=1))
    assert again.attempts == 2 and jobs.claim(again, later + timedelta(minutes=1))
    jobs.finish(again, later)
    assert [j.key for j in jobs.pending()] == ["g2"]
    jobs.cancel(JobKind.EXPIRE_GRANT, "g2", NOW)
    assert jobs.pending(JobKind.EXPIRE_GRANT) == []
    jobs.schedule(JobKind.EXPIRE_GRANT, NOW, key="g2")  # scheduled anew: pending again
    assert [j.key for j in jobs.pending()] == ["g2"]


def test_audit_chain_verifies_exports_and_refuses_changes(store):
    audit = AuditLog(store)
    for n in range(5):
        audit.append(at=NOW + timedelta(minutes=n), actor="U0DEV", action="request.created",
                     request_id=n, role="dev", subject="U0DEV", details={"n": n, "π": "x%?"})
    assert audit.verify() == (5, None)
    recent = audit.recent(since=NOW, subject="U0DEV", limit=2)
    assert [e.details["n"] for e in recent] == [4, 3]
    out = io.StringIO()
    assert export(audit.entries(), "jsonl", out) == 5
    assert json.loads(out.getvalue().splitlines()[0])["details"] == {"n": 0, "π": "x%?"}
    with pytest.raises(Exception, match="append-only"):
        store.execute("UPDATE audit SET actor='someone' WHERE id=1")
    with pytest.raises(Exception, match="append-only"):
        store.execute("DELETE FROM audit WHERE id=1")
    assert audit.verify() == (5, None)


def test_digest_day_claimed_once_and_released(store):
    digests, day = DigestStore(store), date(2026, 11, 30)
    assert digests.claim_day(day, NOW) and not digests.claim_day(day, NOW)
    digests.release_day(day)
    assert not digests.posted_on(day) and digests.claim_day(day, NOW)
    assert digests.posted_on(day)


def test_one_open_rotation_per_iam_user(store):
    rotations = RotationRepository(store, AuditLog(store))
    plan = RotationPlan(keys_before=("AKIA1",), old_key_id="AKIA1")
    first = rotations.insert(holder="U0DEV", requested_by="U0DEV", iam_user="dev", plan=plan,
                             owner="w1", now=NOW)
    with pytest.raises(RotationInProgress):
        rotations.insert(holder="U0DEV", requested_by="U0DEV", iam_user="dev", plan=plan,
                         owner="w2", now=NOW)
    assert rotations.open_for("dev").id == first.id
    assert [r.id for r in rotations.open_of_holder("U0DEV")] == [first.id]
    with pytest.raises(UniqueViolation):
        store.insert("key_mappings", {"slack_user": "U1", "iam_user": "a", "recorded_at": "x"})
        store.insert("key_mappings", {"slack_user": "U1", "iam_user": "b", "recorded_at": "x"})


def test_key_mapping_changes_pending_once_and_decided_once(store):
    mappings = KeyMappingRepository(store, AuditLog(store))
    old, new = IamUser("dev", "arn:old", "AID1"), IamUser("dev2", "arn:new", "AID2")
    assert mappings.record("U0DEV", old, "U0DEV", NOW).iam_user == "dev"
    assert mappings.record("U0DEV", new, "U0DEV", NOW).iam_user == "dev"  # first one kept
    change = mappings.request_change("U0DEV", "dev", new, "U0DEV", NOW)
    assert change is not None
    assert mappings.request_change("U0DEV", "dev", new, "U0DEV", NOW) is None
    assert mappings.decide(change.id, True, "U0ADMIN", NOW) is not None
    assert mappings.decide(change.id, False, "U0ADMIN", NOW) is None
    assert mappings.get("U0DEV").iam_user == "dev2" and mappings.holder_of("dev2") == "U0DEV"
    assert AuditLog(store).verify()[1] is None


def test_migrate_again_applies_nothing(location, store):
    again = open_store(location)
    try:
        assert again.migrate() == []
    finally:
        again.close()


def test_racing_writers_decide_once_and_never_fork_the_chain(location, store):
    """Several connections (replicas, on PostgreSQL) at once: one claim, one move, one day."""
    repo = Repository(store, AuditLog(store))
    request = new_request(repo)
    JobQueue(store).schedule(JobKind.EXPIRE_GRANT, NOW, key="g1")
    stores = [open_store(location) for _ in range(4)]
    results: dict[str, list] = {"claim": [], "move": [], "day": []}
    barrier = threading.Barrier(len(stores))

    def replica(other) -> None:
        jobs, audit = JobQueue(other), AuditLog(other)
        barrier.wait()
        results["claim"] += [jobs.claim(job, NOW) for job in jobs.due(NOW)]
        moved = Repository(other, audit).move(request.id, Status.APPROVED, actor="U0LEAD",
                                              now=NOW, expect=[Status.PENDING])
        results["move"].append(moved is not None)
        results["day"].append(DigestStore(other).claim_day(date(2026, 11, 30), NOW))
        for n in range(10):
            audit.append(at=NOW, actor="U0X", action="test.append", details={"n": n})

    threads = [threading.Thread(target=replica, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for other in stores:
        other.close()
    assert results["claim"].count(True) == 1
    assert results["move"].count(True) == 1 and results["day"].count(True) == 1
    count, bad = AuditLog(store).verify()
    assert (count, bad) == (1 + 1 + 40, None)


def test_scheduled_starts_and_break_glass_reviews_are_kept_alike(store, repo):
    start = NOW + timedelta(days=2)
    scheduled = repo.create_request(kind=Kind.ACCESS, requester="U0DEV", role="dev",
                                    duration_seconds=3600, reason="migration",
                                    approvals_required=1, now=NOW, starts_at=start)
    assert repo.get(scheduled.id).starts_at == start
    uses = BreakGlassRepository(store)
    glass = new_request(repo, requester="U0ADA", role="incident")
    with store.transaction():
        assert uses.uses_since("U0ADA", "incident", NOW - timedelta(days=7)) == []
        uses.record_use(glass.id, "U0ADA", "incident", NOW)
    assert uses.uses_since("U0ADA", "incident", NOW - timedelta(days=7)) == [NOW]
    uses.set_review_message(glass.id, "C0APPROVALS", "1.2")
    assert [u.request_id for u in uses.unreviewed()] == [glass.id]
    assert uses.record_verdict(glass.id, Verdict.JUSTIFIED, "U0LEAD", NOW)
    assert not uses.record_verdict(glass.id, Verdict.NOT_JUSTIFIED, "U0LEE", NOW)
    assert uses.use(glass.id).verdict is Verdict.JUSTIFIED and uses.unreviewed() == []
