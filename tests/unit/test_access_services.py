"""The access use cases on a real SQLite file and in-memory Slack and AWS: no HTTP, no moto."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from config import parse_config
from domain.errors import UserError
from domain.requests import Status
from tests.adversarial.fakes import access_parts

ADMIN, LEAD, DEV = "U0ADMIN", "U0LEAD", "U0DEV"
ARN = "arn:aws:iam::123456789012:role/"
START = datetime(2026, 11, 30, 8, 30, tzinfo=timezone.utc)
CONFIG = parse_config({
    "admins": [ADMIN], "approvals_channel": "C0APPROVALS",
    "roles": {"dev": {"arn": ARN + "Dev", "max_duration": "8h", "approvers": [LEAD]},
              "sandbox": {"arn": ARN + "Sandbox", "max_duration": "1h", "auto_approve": True}},
})


@pytest.fixture
def parts(tmp_path):
    built = access_parts(tmp_path / "gatehouse.db", CONFIG, START)
    yield built.gh, built.requests, built.jobs, built.slack, built.aws, built.clock
    built.store.close()


def file(gh, user="U0DEV", role="dev", seconds=3600):
    request = gh.access.submit(user, role, seconds, "deploy the fix", gh.now())
    gh.access.announce(request.id, gh.now())
    return request.id


def test_a_request_waits_for_its_approver_and_then_grants(parts):
    gh, requests, jobs, slack, aws, clock = parts
    number = file(gh)
    assert requests.get(number).status is Status.PENDING
    assert [r.id for r in gh.access.waiting_for(LEAD)] == [number]
    assert gh.access.approve(number, LEAD, gh.now()) == f"You approved R-{number}."
    assert requests.get(number).status is Status.ACTIVE
    assert len(aws.assumed) == 1 and slack.delivered


def test_the_requester_cannot_approve_their_own_request(parts):
    gh, requests, *_ = parts
    number = file(gh)
    with pytest.raises(UserError):
        gh.access.approve(number, DEV, gh.now())
    assert requests.get(number).status is Status.PENDING


def test_a_second_request_for_the_same_role_is_refused_in_words(parts):
    gh, *_ = parts
    file(gh)
    with pytest.raises(UserError, match="You already have R-"):
        gh.access.submit(DEV, "dev", 3600, "again", gh.now())


def test_auto_approved_roles_grant_at_once(parts):
    gh, requests, *_ = parts
    number = file(gh, role="sandbox")
    assert requests.get(number).status is Status.ACTIVE


def test_the_sweep_expires_a_grant_on_time_and_scrubs_its_dm(parts):
    gh, requests, jobs, slack, aws, clock = parts
    number = file(gh, role="sandbox", seconds=1800)
    clock.now += timedelta(minutes=31)
    assert gh.sweep() >= 1
    assert requests.get(number).status is Status.EXPIRED
    assert all("aws_secret_access_key" not in text for text in slack.dms.values())


def test_an_unanswered_request_expires_and_the_requester_is_told(parts):
    gh, requests, jobs, slack, aws, clock = parts
    number = file(gh)
    clock.now += timedelta(seconds=CONFIG.requests.pending_expiry + 1)
    gh.sweep()
    assert requests.get(number).status is Status.EXPIRED


def test_revoking_adds_a_deny_and_ends_the_grant(parts):
    gh, requests, jobs, slack, aws, clock = parts
    number = file(gh, role="sandbox")
    assert "is revoked" in gh.access.revoke(number, DEV, gh.now())
    assert requests.get(number).status is Status.REVOKED
    assert aws.denies


def test_an_extension_of_a_grant_whose_credentials_never_arrived_posts_no_new_secret(parts):
    """A stop after the first DM was posted but before it was recorded leaves a grant with no
    known DM: new credentials would go into a DM nobody could scrub, so none are issued."""
    gh, requests, jobs, slack, aws, clock = parts
    number = file(gh, role="sandbox", seconds=1800)
    grant = requests.grant(requests.get(number).grant_id)
    requests.update_grant(grant.id, dm_channel=None, dm_ts=None, delivered=False)
    issued = len(aws.assumed)
    extension = gh.access.extend(DEV, number, 900, "more time", gh.now())
    gh.access.announce(extension.id, gh.now())  # sandbox auto-approves
    assert requests.get(extension.id).status is Status.FAILED
    assert len(aws.assumed) == issued
