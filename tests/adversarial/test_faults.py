"""Faults at AWS and at Slack: retried where safe, reported where not, nothing lost or left."""

from __future__ import annotations

import pytest

from tests.adversarial.aws_faults import AwsFaults
from tests.adversarial.checks import assert_nothing_left, message_text
from tests.e2e.conftest import DEV, DEV2, LEAD, PROD_APPROVALS


@pytest.fixture
def faults(gatehouse):
    clients = gatehouse.runtime.aws_clients
    return AwsFaults(clients.sts(), clients.iam())


def approve(gh, text: str, user: str = DEV, channel: str = "C0APPROVALS") -> int:
    number = gh.file(user, text)
    gh.client.click(LEAD, "approve", str(number), message=gh.request_message(number, channel))
    gh.idle()
    return number


def credential_dms(gh, user: str) -> list:
    return [m for m in gh.dms(user) if "AWS_SESSION_TOKEN" in message_text(m)]


def grants_of(gh, number: int) -> list:
    return gh.runtime.store.query("SELECT * FROM grants WHERE request_id=?", (number,))


# --- AWS ---------------------------------------------------------------------------------------

def test_throttling_5xx_and_timeouts_are_retried_and_the_grant_lands(gatehouse, faults, config):
    gh = gatehouse
    faults.fail("GetRole", "500")
    faults.fail("AssumeRole", "throttle", "5xx", "timeout")
    number = approve(gh, "request dev 1h retried")
    assert gh.status(number) == "active"
    assert faults.faulted == {"AssumeRole": 3, "GetRole": 1}
    assert faults.attempts["AssumeRole"] == 4
    assert len(grants_of(gh, number)) == 1 and len(credential_dms(gh, DEV)) == 1
    assert gh.audit_actions().count("grant.activated") == 1
    assert_nothing_left(gh, config)


def test_a_hard_refusal_ends_the_request_failed_in_words(gatehouse, faults, config):
    gh = gatehouse
    faults.fail("AssumeRole", "denied")
    number = approve(gh, "request prod-readonly 1h refused", channel=PROD_APPROVALS)
    assert gh.status(number) == "failed"
    assert faults.attempts["AssumeRole"] == 1, "a refusal is not retried"
    told = [m.text for m in gh.dms(DEV) if "failed" in (m.text or "")]
    assert told and "AccessDenied" in told[0] and "trust policy" in told[0]
    thread = gh.thread_texts(gh.request_message(number, PROD_APPROVALS))
    assert any("failed" in text and "AccessDenied" in text for text in thread)
    assert credential_dms(gh, DEV) == []
    assert_nothing_left(gh, config)


def test_a_refused_revoke_deny_is_retried_by_the_sweep_until_it_lands(gatehouse, faults,
                                                                      config):
    gh = gatehouse
    number = approve(gh, "request prod-readonly 1h then revoke", channel=PROD_APPROVALS)
    dm = credential_dms(gh, DEV)[0]
    faults.fail("PutRolePolicy", "denied", "denied")
    gh.command(DEV, f"revoke R-{number}")
    gh.answer(DEV, "NOT complete")
    gh.idle()
    assert gh.status(number) == "revoked"
    assert "AWS_SESSION_TOKEN" not in message_text(gh.current(dm))
    thread = gh.thread_texts(gh.request_message(number, PROD_APPROVALS))
    assert any("AWS refused the deny" in text for text in thread)
    policies = gh.iam.list_role_policies(RoleName="ProdReadOnly")["PolicyNames"]
    assert policies == []
    gh.gh.sweep()  # the second refusal: the job backs off
    assert [j.action for j in gh.runtime.jobs.pending("revoke_deny")] == ["revoke_deny"]
    gh.clock.advance(minutes=2)
    gh.gh.sweep()
    policies = gh.iam.list_role_policies(RoleName="ProdReadOnly")["PolicyNames"]
    assert [p for p in policies if p.startswith("gatehouse-revoke-")]
    assert faults.faulted["PutRolePolicy"] == 2
    assert gh.audit_actions().count("grant.deny_attached") == 1
    assert_nothing_left(gh, config)
    assert gh.audit_actions().count("grant.deny_removed") == 1


def test_a_revoke_in_the_same_second_as_the_grant_still_denies_its_credentials(gatehouse):
    """aws:TokenIssueTime has whole seconds and DateLessThan is strict."""
    gh = gatehouse
    number = approve(gh, "request prod-readonly 1h quick revoke", channel=PROD_APPROVALS)
    gh.command(DEV, f"revoke R-{number}")  # the clock has not moved: the same second
    gh.answer(DEV, "revoked")
    [name] = gh.iam.list_role_policies(RoleName="ProdReadOnly")["PolicyNames"]
    document = gh.iam.get_role_policy(RoleName="ProdReadOnly", PolicyName=name)["PolicyDocument"]
    cutoff = document["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
    issued = grants_of(gh, number)[0]["started_at"]
    assert cutoff > issued, f"credentials issued at {issued} are not denied by < {cutoff}"


def test_a_refused_extension_fails_alone_and_the_grant_runs_on(gatehouse, faults, config):
    gh = gatehouse
    number = approve(gh, "request dev 1h long job")
    gh.command(DEV, f"extend R-{number} 1h more")
    extension = number + 1
    faults.fail("AssumeRole", "denied")
    gh.client.click(LEAD, "approve", str(extension), message=gh.request_message(extension))
    gh.idle()
    assert gh.status(extension) == "failed" and gh.status(number) == "active"
    assert len(grants_of(gh, number)) == 1
    assert_nothing_left(gh, config)


# --- Slack -------------------------------------------------------------------------------------

def calls_of(gh, method: str) -> list:
    return gh.slack.calls(method)


def test_slack_429_with_retry_after_is_waited_out(gatehouse, config):
    gh = gatehouse
    gh.slack.fail_next("chat.postMessage", status=429, retry_after=1)
    number = gh.file(DEV, "request dev 1h rate limited")
    gh.idle()
    posts = calls_of(gh, "chat.postMessage")
    assert [c.error for c in posts[:2]] == ["ratelimited", None]
    assert posts[1].at - posts[0].at >= 1.0, "Retry-After was not honoured"
    assert len([m for m in gh.slack.messages("C0APPROVALS") if f"R-{number}" in m.text]) == 1
    assert_nothing_left(gh, config)


def test_slack_5xx_is_retried_and_nothing_is_posted_twice(gatehouse, config):
    gh = gatehouse
    number = gh.file(DEV, "request dev 1h flaky slack")
    message = gh.request_message(number)
    gh.slack.fail_next("chat.postMessage", status=503)
    gh.slack.fail_next("conversations.open", status=500)
    gh.client.click(LEAD, "approve", str(number), message=message)
    gh.idle()
    assert gh.status(number) == "active"
    assert len(credential_dms(gh, DEV)) == 1
    assert [t for t in gh.thread_texts(message) if t.startswith("Approved by")].__len__() == 1
    errors = [c.error for c in calls_of(gh, "chat.postMessage") if c.error]
    assert errors == ["fatal_error"]
    assert_nothing_left(gh, config)


def test_slack_ok_false_on_the_credentials_dm_is_reported_and_closed(gatehouse, faults, config):
    gh = gatehouse
    number = gh.file(DEV, "request prod-readonly 1h dm refused")
    message = gh.request_message(number, PROD_APPROVALS)
    gh.slack.fail_next("conversations.open", error="user_not_found")
    gh.client.click(LEAD, "approve", str(number), message=message)
    gh.idle()
    assert credential_dms(gh, DEV) == []
    assert gh.status(number) == "failed"  # closed at once, saying why
    why = "Slack refused the DM that would hold the credentials (user_not_found)"
    assert any(why in (m.text or "") for m in gh.dms(DEV))
    assert any(why in t for t in gh.thread_texts(message))
    gh.clock.advance(minutes=6)
    gh.gh.sweep()
    assert gh.status(number) == "failed"
    assert_nothing_left(gh, config)


def test_ok_false_when_posting_for_approval_is_reported(gatehouse, config):
    gh = gatehouse
    gh.slack.fail_next("chat.postMessage", error="channel_not_found")
    gh.command(DEV2, "request dev 1h nobody will see this")
    gh.idle()
    answer = gh.slack.ephemerals(DEV2)[-1].text
    assert "R-1 is closed" in answer and "channel_not_found" in answer
    assert gh.status(1) == "failed"
    number = gh.file(DEV2, "request dev 1h second try")  # the closed one does not block it
    assert gh.request_message(number)
    assert_nothing_left(gh, config)


def test_a_lost_first_dm_closes_the_grant_before_any_secret_exists(gatehouse, config):
    """The placeholder DM never arrived: nothing is issued, and no extension can follow."""
    gh = gatehouse
    number = gh.file(DEV, "request dev 1h lost dm")
    gh.slack.fail_next("chat.postMessage", error="fatal_error", times=2)  # thread post and DM
    gh.client.click(LEAD, "approve", str(number), message=gh.request_message(number))
    gh.idle()
    assert gh.status(number) == "failed" and credential_dms(gh, DEV) == []
    assert any("Slack refused the DM" in t for t in gh.thread_texts(gh.request_message(number)))
    gh.command(DEV, f"extend R-{number} 30m still need it")
    gh.answer(DEV, "not an active grant")
    assert_nothing_left(gh, config)


# --- key rotation ------------------------------------------------------------------------------

def keys_of(gh, user: str) -> list[tuple[str, str]]:
    return [(k["AccessKeyId"], k["Status"])
            for k in gh.iam.list_access_keys(UserName=user)["AccessKeyMetadata"]]


def test_a_throttled_rotation_lands_and_ends_with_one_active_key(gatehouse, faults, config):
    gh = gatehouse
    gh.iam.create_user(UserName="dev", Tags=[{"Key": "slack-user-id", "Value": DEV}])
    old = gh.iam.create_access_key(UserName="dev")["AccessKey"]["AccessKeyId"]
    faults.fail("CreateAccessKey", "throttle")
    faults.fail("ListAccessKeys", "5xx")
    gh.command(DEV, "rotate-key")
    gh.answer(DEV, "access key", timeout=10)
    gh.idle()
    assert faults.faulted["CreateAccessKey"] == 1
    assert len(keys_of(gh, "dev")) == 2
    assert_nothing_left_after_rotation(gh, config)
    [(new, status)] = keys_of(gh, "dev")
    assert new != old and status == "Active"


def test_no_key_is_created_for_a_holder_who_cannot_get_a_dm(gatehouse, config):
    gh = gatehouse
    gh.iam.create_user(UserName="dev2", Tags=[{"Key": "slack-user-id", "Value": DEV2}])
    old = gh.iam.create_access_key(UserName="dev2")["AccessKey"]["AccessKeyId"]
    gh.slack.fail_next("conversations.open", error="user_not_found")
    gh.command(DEV2, "rotate-key")
    gh.idle()
    assert keys_of(gh, "dev2") == [(old, "Active")], "a key nobody could receive was made"
    answers = " ".join(e.text for e in gh.slack.ephemerals(DEV2))
    assert "no key was created" in answers and "current key is unchanged" in answers
    assert_nothing_left_after_rotation(gh, config)
    assert keys_of(gh, "dev2") == [(old, "Active")]


def assert_nothing_left_after_rotation(gh, config) -> None:
    """The old key is deactivated a day after the rotation, and deleted a week later."""
    for days in (1, 8):
        gh.clock.advance(days=days)
        gh.gh.sweep()
    assert_nothing_left(gh, config)
