"""Break-glass records and reviews in SQLite, and when a scheduled grant's time starts counting."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from domain.break_glass import Verdict, digest_line, reminder, reviewed
from domain.requests import AccessRequest, Kind, Status
from services.grants import scheduled_base
from storage.break_glass import BreakGlassRepository
from storage.database import open_store

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


def test_uses_are_counted_per_person_and_role_and_reviewed_once(tmp_path):
    store = open_store(tmp_path / "g.db")
    store.insert("requests", {"kind": "access", "requester": "U0DEV", "role": "prod",
                              "duration_seconds": 900, "reason": "x", "status": "active",
                              "created_at": "2026-11-30T09:00:00Z",
                              "updated_at": "2026-11-30T09:00:00Z"})
    uses = BreakGlassRepository(store)
    uses.record_use(1, "U0DEV", "prod", NOW)
    assert uses.uses_since("U0DEV", "prod", NOW - timedelta(days=7)) == [NOW]
    assert uses.uses_since("U0DEV", "dev", NOW - timedelta(days=7)) == []
    assert uses.uses_since("U0DEV", "prod", NOW) == []
    assert [u.label for u in uses.unreviewed()] == ["R-1"]
    assert uses.record_verdict(1, Verdict.NOT_JUSTIFIED, "U0LEAD", NOW) is True
    assert uses.record_verdict(1, Verdict.JUSTIFIED, "U0ADMIN", NOW) is False
    use = uses.use(1)
    assert (use.verdict, use.reviewed_by) == (Verdict.NOT_JUSTIFIED, "U0LEAD")
    assert uses.unreviewed() == []
    assert "*Not justified*" in reviewed(use) and "<@U0LEAD>" in reviewed(use)
    assert "R-1 prod by U0DEV at 2026-11-30 09:00 UTC" == digest_line(use)
    assert "<@U0LEAD>" in reminder(use, ["U0LEAD"])
    store.close()


def request(starts_at, decided_at) -> AccessRequest:
    return AccessRequest(1, Kind.ACCESS, "U0DEV", "dev", 3600, "x", Status.APPROVED, NOW,
                         decided_at=decided_at, starts_at=starts_at)


def test_a_grant_approved_ahead_counts_from_its_start_else_from_now():
    start = NOW + timedelta(hours=1)
    late = start + timedelta(minutes=5)
    assert scheduled_base(request(start, NOW), late) == start  # the sweep ran late
    assert scheduled_base(request(start, late), late) == late  # approved after the start
    assert scheduled_base(request(None, NOW), late) == late
    assert request(start, NOW).waits_for_start(NOW) and not request(start, NOW).waits_for_start(
        start)
