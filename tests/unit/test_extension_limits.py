"""Extensions: bounded by the role's max_total, and one applied never blocks the next."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from config import parse_config
from domain.errors import UserError
from domain.requests import Kind, Status
from services.gatehouse import Gatehouse
from storage.break_glass import BreakGlassRepository
from tests.adversarial.fakes import FakeAws, FakeSlack, access_job_table, access_parts

ADMIN, LEAD, DEV = "U0ADMIN", "U0LEAD", "U0DEV"
ARN = "arn:aws:iam::123456789012:role/"
START = datetime(2026, 11, 30, 8, 30, tzinfo=timezone.utc)
CONFIG = parse_config({
    "admins": [ADMIN], "approvals_channel": "C0APPROVALS",
    "roles": {"sandbox": {"arn": ARN + "Sandbox", "max_duration": "1h", "auto_approve": True,
                          "max_total": "2h"},
              "dev": {"arn": ARN + "Dev", "max_duration": "8h", "approvers": [LEAD]}},
})
HOUR = 3600


@pytest.fixture
def parts(tmp_path):
    built = access_parts(tmp_path / "gatehouse.db", CONFIG, START)
    yield built.gh, built.requests, built.clock
    built.store.close()


def grant_of(gh, requests, role="sandbox", seconds=HOUR):
    request = gh.access.submit(DEV, role, seconds, "try things", gh.now())
    gh.access.announce(request.id, gh.now())
    return request.id


def extend(gh, number, seconds):
    request = gh.access.extend(DEV, number, seconds, "more", gh.now())
    gh.access.announce(request.id, gh.now())
    return request.id


def ends(requests, number):
    return requests.grant(requests.get(number).grant_id).ends_at


def test_the_default_max_total_is_twelve_hours():
    assert CONFIG.role("dev").max_total == 12 * HOUR


def test_an_applied_extension_does_not_block_the_next(parts):
    gh, requests, clock = parts
    number = grant_of(gh, requests)
    clock.now += timedelta(minutes=40)
    first = extend(gh, number, HOUR // 2)
    assert requests.get(first).status is Status.ACTIVE
    clock.now += timedelta(minutes=30)
    second = extend(gh, number, HOUR // 2)
    assert requests.get(second).status is Status.ACTIVE
    assert ends(requests, number) == START + timedelta(hours=2)


def test_a_pending_extension_still_blocks_the_next(parts):
    gh, requests, clock = parts
    number = grant_of(gh, requests, role="dev")
    gh.access.approve(number, LEAD, gh.now())
    extend(gh, number, HOUR)
    with pytest.raises(UserError, match="already asks to extend"):
        gh.access.extend(DEV, number, HOUR, "again", gh.now())


def test_an_extension_past_max_total_is_refused_in_words(parts):
    gh, requests, clock = parts
    number = grant_of(gh, requests)
    clock.now += timedelta(minutes=40)
    extend(gh, number, HOUR // 2)
    with pytest.raises(UserError, match=r"may last 2h in all.*at most 30m"):
        gh.access.extend(DEV, number, HOUR, "more", gh.now())
    clock.now += timedelta(minutes=30)
    extend(gh, number, HOUR // 2)
    with pytest.raises(UserError, match="cannot be extended"):
        gh.access.extend(DEV, number, 15 * 60, "more", gh.now())
    assert ends(requests, number) == START + timedelta(hours=2)


def test_auto_approval_never_approves_past_max_total(parts):
    gh, requests, clock = parts
    number = grant_of(gh, requests)
    grant = requests.grant(requests.get(number).grant_id)
    # An extension that slipped past the check at filing (say, filed before a config change):
    sneaked = requests.create_request(kind=Kind.EXTEND, requester=DEV, role="sandbox",
                                      duration_seconds=HOUR, reason="x", approvals_required=1,
                                      now=gh.now(), parent_id=number,
                                      details={"grant_id": grant.id})
    requests.update_grant(grant.id, ends_at=START + timedelta(hours=2))
    clock.now += timedelta(minutes=90)
    gh.access.announce(sneaked.id, gh.now())
    assert requests.get(sneaked.id).status is Status.FAILED
    assert "max_total" in requests.get(sneaked.id).note
    assert ends(requests, number) == START + timedelta(hours=2)


def test_a_request_longer_than_max_total_is_refused(parts):
    gh, requests, clock = parts
    config = parse_config({"admins": [ADMIN], "approvals_channel": "C0APPROVALS",
                           "roles": {"x": {"arn": ARN + "X", "max_duration": "4h",
                                           "max_total": "1h"}}})
    assert config.role("x").max_total == HOUR
    with pytest.raises(UserError, match="over the limit"):
        Gatehouse.build(config=config, requests=requests, jobs=gh.access.jobs,
                        audit=gh.audit, uow=gh.access.uow, slack=FakeSlack(),
                        aws=FakeAws(clock), clock=clock,
                        job_table=access_job_table,
                        break_glass=BreakGlassRepository(gh.access.uow),
                        ).access.submit(DEV, "x", 2 * HOUR, "long", gh.now())
