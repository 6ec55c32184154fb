"""On-call auto-approval over HTTP: PagerDuty says who is on call; down means humans decide."""

from __future__ import annotations

import pytest

from fake_services.fake_pagerduty import FakePagerDuty
from tests.e2e.conftest import (
    DEV,
    PROD_APPROVALS,
    Clock,
    base_config,
    create_roles,
    start_bot,
    stop_bot,
)

SCHEDULE = "PABC123"


@pytest.fixture
def pagerduty():
    fake = FakePagerDuty().start()
    fake.add_schedule(SCHEDULE, "SRE primary")
    fake.add_user("PDEV", "Dev", "dev@example.com")
    yield fake
    fake.stop()


@pytest.fixture
def gatehouse(tmp_path, aws, slack, federation, pagerduty):
    config = base_config()
    config["roles"]["prod-readonly"]["auto_approve"] = {"on_call": [SCHEDULE]}
    create_roles(aws.client("iam"), config)
    harness = start_bot(tmp_path, aws, slack, federation, config, Clock(), extra_env={
        "PAGERDUTY_API_TOKEN": pagerduty.token, "PAGERDUTY_API_URL": pagerduty.url})
    yield harness
    stop_bot(harness)


def test_the_requester_on_call_is_approved_and_the_thread_says_so(gatehouse, pagerduty):
    gh = gatehouse
    pagerduty.put_on_call(SCHEDULE, "PDEV")
    number = gh.file(DEV, "request prod-readonly 1h paged about the disk")
    gh.wait_status(number, "active")
    message = gh.request_message(number, PROD_APPROVALS)
    assert any("auto-approved: on call in SRE primary (PABC123)" in t
               for t in gh.thread_texts(message))
    approved = next(e for e in gh.runtime.audit.entries() if e.action == "request.approved")
    assert approved.actor != DEV


def test_a_requester_not_on_call_waits_for_the_approvers(gatehouse, pagerduty):
    gh = gatehouse
    number = gh.file(DEV, "request prod-readonly 1h looking around")
    message = gh.request_message(number, PROD_APPROVALS)
    gh.idle()
    assert gh.status(number) == "pending"
    assert not any("auto-approved" in t for t in gh.thread_texts(message))


def test_pagerduty_down_sends_the_request_to_humans_saying_why(gatehouse, pagerduty):
    gh = gatehouse
    pagerduty.put_on_call(SCHEDULE, "PDEV")
    pagerduty.behave(status=500)
    number = gh.file(DEV, "request prod-readonly 1h paged about the disk")
    message = gh.request_message(number, PROD_APPROVALS)
    gh.slack.wait_for(lambda: [t for t in gh.thread_texts(message)
                               if "PagerDuty could not be reached" in t])
    assert gh.status(number) == "pending"
