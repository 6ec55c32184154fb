"""The hygiene digest end to end: /access digest, thread, chart, fixes, acknowledgements, daily."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config

from aws.account_data import AwsAccountData
from handlers.chart import PNG_SIGNATURE
from tests.digest_seed import DigestClients, freeze_moto_iam, seed_account
from tests.e2e.conftest import (
    ADMIN,
    DEV,
    START,
    Clock,
    base_config,
    create_roles,
    start_bot,
    stop_bot,
)

HYGIENE = "C0HYGIENE"


@pytest.fixture
def config():
    settings = base_config()
    settings["digest"] = {"channel": HYGIENE, "at": "09:00"}
    return settings


def quiet_cloudtrail(events: list | None = None):
    """A CloudTrail client whose LookupEvents answers one page at once (moto has none)."""
    client = boto3.client("cloudtrail", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")

    def answer(model, **_):
        if model.name == "LookupEvents":
            return AWSResponse("https://cloudtrail/", 200, {}, None), {"Events": events or []}
        return None
    client.meta.events.register_first("before-call.cloudtrail.*", answer)
    return client


def prepare(harness, cloudtrail=None):
    """Seed IAM and point the digest at a CloudTrail stand-in; no sleeping anywhere."""
    feature = harness.runtime.digest
    clients = DigestClients(harness.runtime.aws_clients, cloudtrail or quiet_cloudtrail())
    feature.service.source = AwsAccountData(clients, sleep=lambda _: None)
    return feature


@pytest.fixture
def gh(gatehouse, monkeypatch):
    freeze_moto_iam(monkeypatch)
    seed_account(gatehouse.iam)
    prepare(gatehouse)
    return gatehouse


def summaries(gh):
    return [m for m in gh.slack.messages(HYGIENE) if not m.is_reply]


def posted_digest(gh, user=ADMIN):
    before = len(summaries(gh))
    gh.command(user, "digest")
    gh.answer(user, "Digest posted")
    gh.idle()
    summary = summaries(gh)[before]
    return summary, gh.slack.thread(HYGIENE, summary.ts)[1:]


def thread_blocks(thread):
    return [block for message in thread for block in message.blocks]


def finding_text(thread, contains):
    return [b["text"]["text"] for b in thread_blocks(thread)
            if b["type"] == "section" and contains in b["text"]["text"]]


def button_value(thread, action_id, contains):
    """The value of the `action_id` button next to the finding whose text has `contains`."""
    blocks = thread_blocks(thread)
    for index, block in enumerate(blocks):
        if block["type"] == "section" and contains in block["text"]["text"]:
            for element in blocks[index + 1]["elements"]:
                if element["action_id"] == action_id:
                    return element["value"]
    raise AssertionError(f"no {action_id} button next to {contains!r}")


def message_with(thread, value):
    return next(m for m in thread if value in str(m.blocks))


def test_admin_posts_summary_thread_and_chart(gh):
    summary, thread = posted_digest(gh)
    text = str(summary.blocks)
    assert "open findings" in text and "First digest" in text and "Missing" not in text
    assert len(thread) >= 1 and all(len(m.blocks) <= 50 for m in thread)
    assert all(len(b["text"]["text"]) <= 3000 for b in thread_blocks(thread) if "text" in b)
    [owned] = finding_text(thread, "alice signs in without MFA")
    assert "<@U0DEV>" in owned
    [chart] = gh.slack.files()
    assert chart.thread_ts == summary.ts and chart.channel == HYGIENE
    assert chart.content.startswith(PNG_SIGNATURE)
    assert "digest.posted" in gh.audit_actions()
    home = gh.runtime.home.sections
    assert any("IAM hygiene digest" in str(section(ADMIN)) for section in home)
    assert all("IAM hygiene digest" not in str(section(DEV)) for section in home)


def test_non_admin_is_refused_and_nothing_is_posted(gh):
    gh.command(DEV, "digest")
    assert "Only Gatehouse admins" in gh.answer(DEV, "admins")
    gh.idle()
    assert summaries(gh) == [] and "digest.posted" not in gh.audit_actions()


def test_fix_buttons_deactivate_a_key_and_remove_a_password_for_admins_only(gh):
    _, thread = posted_digest(gh)
    value = button_value(thread, "digest_deactivate_key", "svc: unused access key 1")
    message = message_with(thread, value)
    gh.client.click(DEV, "digest_deactivate_key", value, message=message)
    assert "Only Gatehouse admins" in gh.answer(DEV, "admins")
    [key] = gh.iam.list_access_keys(UserName="svc")["AccessKeyMetadata"]
    assert key["Status"] == "Active"

    gh.client.click(ADMIN, "digest_deactivate_key", value, message=message)
    assert key["AccessKeyId"] in gh.answer(ADMIN, "Deactivated access key")
    [key] = gh.iam.list_access_keys(UserName="svc")["AccessKeyMetadata"]
    assert key["Status"] == "Inactive"

    value = button_value(thread, "digest_remove_password", "alice signs in without MFA")
    gh.client.click(ADMIN, "digest_remove_password", value, message=message_with(thread, value))
    gh.answer(ADMIN, "Removed the console password of IAM user alice")
    with pytest.raises(gh.iam.exceptions.NoSuchEntityException):
        gh.iam.get_login_profile(UserName="alice")
    fixes = [e for e in gh.runtime.audit.entries() if e.action == "digest.fix_applied"]
    assert [(e.actor, e.subject, e.details["fix"]) for e in fixes] == [
        (ADMIN, "svc", "deactivate_key"), (ADMIN, "alice", "remove_password")]


def test_fix_buttons_act_on_the_stored_finding_and_refuse_forged_values(gh):
    _, thread = posted_digest(gh)
    password = button_value(thread, "digest_remove_password", "alice signs in without MFA")
    message = message_with(thread, password)
    assert "alice" not in password
    other = button_value(thread, "digest_acknowledge", "Role open is unused")
    forged = [("alice", "out of date"), ("svc|1|0", "out of date"),
              ("0123456789abcdef", "not in any stored digest"),
              (other, "does not match the finding"), (f"{password}|x", "out of date")]
    for count, (value, words) in enumerate(forged):
        gh.client.click(ADMIN, "digest_remove_password", value, message=message)
        gh.answer(ADMIN, words, after=count + 1)
    gh.client.click(ADMIN, "digest_deactivate_key", password, message=message)
    gh.answer(ADMIN, "does not match the finding")
    gh.iam.get_login_profile(UserName="alice")  # still there
    assert "digest.fix_applied" not in gh.audit_actions()


def test_acknowledged_finding_is_hidden_until_its_date_then_returns(gh):
    _, thread = posted_digest(gh)
    value = button_value(thread, "digest_acknowledge", "Role open is unused")
    message = message_with(thread, value)
    gh.client.click(DEV, "digest_acknowledge", value, message=message)
    assert "Only Gatehouse admins" in gh.answer(DEV, "admins")

    gh.client.click(ADMIN, "digest_acknowledge", value, message=message)
    modal = gh.slack.wait_for(lambda: [v for v in gh.slack.views(ADMIN)
                                       if v.callback_id == "digest_ack_modal"])[-1]
    assert "Role open is unused" in str(modal.definition)
    until = (gh.clock() + timedelta(days=2)).date().isoformat()
    gh.client.submit_view(ADMIN, "digest_ack_modal", {"until": {"until": until},
                                                      "note": {"note": "partner access"}})
    assert until in gh.answer(ADMIN, "accepted until")
    assert "finding.acknowledged" in gh.audit_actions()

    _, thread = posted_digest(gh)
    assert finding_text(thread, "*Role open is unused*") == []
    assert f"Role open is unused  `role.unused`: accepted until {until}" in str(
        finding_text(thread, "Acknowledged"))
    gh.clock.advance(days=2)
    _, thread = posted_digest(gh)
    assert finding_text(thread, "*Role open is unused*") == []
    gh.clock.advance(days=1)
    _, thread = posted_digest(gh)
    assert finding_text(thread, "*Role open is unused*") != []
    assert finding_text(thread, "Acknowledged") == []


def test_a_past_date_is_refused_in_the_modal(gh):
    _, thread = posted_digest(gh)
    value = button_value(thread, "digest_acknowledge", "Role open is unused")
    gh.client.click(ADMIN, "digest_acknowledge", value, message=message_with(thread, value))
    gh.slack.wait_for(lambda: gh.slack.views(ADMIN))
    response = gh.client.submit_view(ADMIN, "digest_ack_modal",
                                     {"until": {"until": gh.clock().date().isoformat()}})
    assert response.json()["response_action"] == "errors"
    assert "finding.acknowledged" not in gh.audit_actions()


def test_new_and_resolved_between_two_digests(gh):
    posted_digest(gh)
    gh.iam.delete_user_policy(UserName="carol", PolicyName="read")
    gh.iam.create_user(UserName="dave")
    gh.iam.create_login_profile(UserName="dave", Password="Correct-Horse-9")
    gh.clock.advance(days=1)
    summary, thread = posted_digest(gh)
    assert "2 new, 1 resolved" in str(summary.blocks)
    assert "*new*" in str(finding_text(thread, "dave signs in without MFA"))
    assert "carol has policies attached directly" in str(finding_text(thread, "Resolved since"))


def test_the_daily_digest_is_posted_once_a_day_across_restarts(tmp_path, aws, slack, federation,
                                                                config, monkeypatch):
    freeze_moto_iam(monkeypatch)
    create_roles(aws.client("iam"), config)
    seed_account(aws.client("iam"))
    first = start_bot(tmp_path, aws, slack, federation, config, Clock())
    try:
        feature = prepare(first)
        jobs = {job.id: job for job in first.runtime.scheduler.get_jobs()}
        assert str(jobs["digest"].trigger) == "cron[hour='9', minute='0']"
        assert "digest-catch-up" in jobs
        assert feature.daily() is True and feature.daily() is False
    finally:
        stop_bot(first)

    clock = Clock(START + timedelta(hours=2))
    again = start_bot(tmp_path, aws, slack, federation, config, clock)
    try:
        feature = prepare(again)
        assert feature.catch_up() is False
        clock.advance(days=1)
        assert feature.catch_up() is True and feature.catch_up() is False
        assert feature.daily() is False
        posted = [e for e in again.runtime.audit.entries() if e.action == "digest.posted"]
        assert [e.details["trigger"] for e in posted] == ["daily", "daily"]
        assert len(summaries(again)) == 2
    finally:
        stop_bot(again)


def test_before_the_hour_the_startup_catch_up_waits_for_the_schedule(gh):
    gh.clock.advance(hours=-1)
    assert gh.runtime.digest.catch_up() is False
    assert summaries(gh) == []


def test_a_missing_source_is_named_and_the_digest_still_posts(gh):
    cloudtrail = boto3.client("cloudtrail", region_name="us-east-1",
                              config=Config(retries={"mode": "standard", "max_attempts": 1}))
    prepare(gh, cloudtrail)  # moto's server has no LookupEvents: it answers HTTP 500
    summary, thread = posted_digest(gh)
    assert "Missing sources: CloudTrail LookupEvents: HTTP 500 error" in str(summary.blocks)
    assert finding_text(thread, "open is unused") != []


def test_without_a_digest_channel_the_command_says_how_to_turn_it_on(tmp_path, aws, slack,
                                                                     federation):
    harness = start_bot(tmp_path, aws, slack, federation, base_config(), Clock())
    try:
        harness.command(ADMIN, "digest")
        assert "`digest.channel`" in harness.answer(ADMIN, "The digest is off")
        assert "digest" not in {job.id for job in harness.runtime.scheduler.get_jobs()}
    finally:
        stop_bot(harness)
