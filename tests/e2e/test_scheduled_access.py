"""Scheduled access: `/access request … at YYYY-MM-DD HH:MM`, approved ahead, granted at start."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e.conftest import (
    APPROVALS,
    DEV,
    LEAD,
    Clock,
    create_roles,
    start_bot,
    stop_bot,
)

STARTS = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)  # the day after the clock's START


def approve(gh, number):
    gh.client.click(LEAD, "approve", str(number), message=gh.request_message(number))
    gh.idle()


def listed(gh, user=DEV) -> str:
    seen = len(gh.slack.ephemerals(user))
    gh.command(user, "list")
    return gh.answer(user, "R-", after=seen)


def credentials_dms(gh, user=DEV):
    return [m for m in gh.dms(user) if "your credentials" in (m.text or "")]


def test_a_scheduled_request_is_granted_at_its_start_and_not_before_across_a_restart(
        tmp_path, aws, slack, federation, config):
    create_roles(aws.client("iam"), config)
    clock = Clock()
    gh = start_bot(tmp_path, aws, slack, federation, config, clock)
    try:
        number = gh.file(DEV, "request dev 2h at 2026-12-01 10:00 deploy window")
        filed = gh.answer(DEV, "filed")
        assert "starting 2026-12-01 10:00 UTC" in filed
        message = gh.request_message(number)
        assert "2026-12-01 10:00 UTC" in str(message.blocks)
        approve(gh, number)
        assert gh.status(number) == "approved"
        assert any("access starts at 2026-12-01 10:00 UTC" in t for t in gh.thread_texts(message))
        assert any("was approved" in (m.text or "") for m in gh.dms(DEV))
        assert "starts 2026-12-01 10:00 UTC" in listed(gh)
        clock.now = STARTS - timedelta(minutes=1)
        gh.gh.sweep()
        assert gh.status(number) == "approved" and credentials_dms(gh) == []
    finally:
        stop_bot(gh)
    again = start_bot(tmp_path, aws, slack, federation, config, clock)
    try:
        clock.now = STARTS
        again.gh.sweep()
        again.idle()
        assert again.status(number) == "active"
        request = again.runtime.requests.get(number)
        grant = again.runtime.requests.grant(request.grant_id)
        assert grant.started_at == STARTS and grant.ends_at == STARTS + timedelta(hours=2)
        assert len(credentials_dms(again)) == 1
    finally:
        stop_bot(again)


def test_a_late_sweep_still_ends_the_grant_at_start_plus_duration(gatehouse):
    gh = gatehouse
    number = gh.file(DEV, "request dev 2h at 2026-12-01 10:00 deploy window")
    approve(gh, number)
    gh.clock.now = STARTS + timedelta(minutes=20)
    gh.gh.sweep()
    grant = gh.runtime.requests.grant(gh.runtime.requests.get(number).grant_id)
    assert grant.ends_at == STARTS + timedelta(hours=2)


@pytest.mark.parametrize("start, words", [
    ("2026-11-30 08:00", "is in the past; pick a later start"),
    ("2026-12-20 10:00", "too far ahead: a start may be at most 14d from now"),
    ("2026-12-01 25:00", "is not a start time; write it as YYYY-MM-DD HH:MM"),
    ("2026-12-01", "is not a start time; write it as YYYY-MM-DD HH:MM (UTC)"),
])
def test_a_bad_start_is_refused_saying_what_to_write(gatehouse, start, words):
    gh = gatehouse
    gh.command(DEV, f"request dev 1h at {start} deploy")
    assert words in gh.answer(DEV, words)
    assert gh.runtime.requests.pending() == []


def test_a_reason_that_merely_begins_with_at_is_a_reason(gatehouse):
    gh = gatehouse
    number = gh.file(DEV, "request dev 1h at the customer's request")
    request = gh.runtime.requests.get(number)
    assert request.starts_at is None and request.reason == "at the customer's request"


@pytest.fixture
def paris_config(config):
    config["timezone"] = "Europe/Paris"
    config["requests"] = {"schedule_horizon": "200d"}
    return config


def test_the_horizon_and_time_zone_come_from_the_config(tmp_path, aws, slack, federation,
                                                        paris_config):
    create_roles(aws.client("iam"), paris_config)
    gh = start_bot(tmp_path, aws, slack, federation, paris_config, Clock())
    try:
        gh.command(DEV, "request dev 1h at 2027-03-28 02:30 clocks change")
        assert "does not exist in Europe/Paris" in gh.answer(DEV, "does not exist")
        number = gh.file(DEV, "request dev 1h at 2027-03-01 10:00 far ahead")
        assert gh.runtime.requests.get(number).starts_at == datetime(
            2027, 3, 1, 9, 0, tzinfo=timezone.utc)
    finally:
        stop_bot(gh)


def test_an_approved_scheduled_request_can_be_cancelled_until_its_start(gatehouse):
    gh = gatehouse
    number = gh.file(DEV, "request dev 1h at 2026-12-01 10:00 deploy")
    approve(gh, number)
    gh.command(DEV, f"cancel R-{number}")
    assert f"R-{number} is cancelled" in gh.answer(DEV, "is cancelled")
    gh.clock.now = STARTS
    gh.gh.sweep()
    assert gh.status(number) == "cancelled" and credentials_dms(gh) == []
    later = gh.file(DEV, "request dev 1h at 2026-12-01 11:00 deploy again")
    approve(gh, later)
    gh.clock.now = STARTS + timedelta(hours=1)
    gh.gh.sweep()
    assert gh.status(later) == "active"
    gh.command(DEV, f"cancel R-{later}")
    assert "/access revoke" in gh.answer(DEV, "can be cancelled")


def test_hours_are_checked_against_the_scheduled_start(gatehouse):
    gh = gatehouse
    gh.command(DEV, "request office 1h at 2026-12-01 14:00 afternoon")
    answer = gh.answer(DEV, "only be granted between")
    assert "the start you asked for is 14:00" in answer
    number = gh.file(DEV, "request office 4h at 2026-12-01 11:00 late morning")
    gh.client.click(LEAD, "approve", str(number), message=gh.request_message(number))
    gh.idle()
    gh.clock.now = STARTS + timedelta(hours=1)
    gh.gh.sweep()
    grant = gh.runtime.requests.grant(gh.runtime.requests.get(number).grant_id)
    assert grant.ends_at == datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def test_the_request_form_takes_an_optional_start(gatehouse):
    gh = gatehouse
    gh.command(DEV, "request", channel="C0TEAM")
    gh.slack.wait_for(lambda: gh.slack.views(DEV))
    assert "Start (optional, UTC)" in str(gh.slack.views(DEV)[-1].definition)
    response = gh.client.submit_view(DEV, "request_modal", {
        "role": {"value": "dev"}, "duration": {"value": "1h"}, "reason": {"value": "debug"},
        "start": {"value": "tomorrow"}})
    assert "YYYY-MM-DD HH:MM" in response.json()["errors"]["start"]
    gh.client.submit_view(DEV, "request_modal", {
        "role": {"value": "dev"}, "duration": {"value": "1h"}, "reason": {"value": "debug"},
        "start": {"value": "2026-12-01 10:00"}})
    gh.idle()
    assert gh.runtime.requests.get(1).starts_at == STARTS
    assert APPROVALS == gh.runtime.requests.get(1).channel
