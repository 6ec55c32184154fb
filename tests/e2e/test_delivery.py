"""Requests posted after a crash, deliveries Slack refuses, and endings that say when and why."""

from __future__ import annotations

from datetime import timedelta

from handlers.replies import unexpected
from tests.e2e.conftest import APPROVALS, DEV, LEAD


def approve(gh, number, channel=APPROVALS):
    gh.client.click(LEAD, "approve", str(number), message=gh.request_message(number, channel))
    gh.idle()


def test_a_request_stored_but_never_posted_is_posted_by_the_sweep(gatehouse):
    gh = gatehouse
    # Gatehouse stops right after storing the request, before posting it:
    request = gh.gh.access.submit(DEV, "dev", 3600, "crash window", gh.clock())
    gh.gh.sweep()
    assert not gh.slack.messages(APPROVALS)  # the live path still has time to post it
    gh.clock.advance(minutes=2)
    gh.gh.sweep()
    message = gh.request_message(request.id)
    assert gh.runtime.requests.get(request.id).message_ts == message.ts
    gh.clock.advance(minutes=5)
    gh.gh.sweep()
    assert len([m for m in gh.slack.messages(APPROVALS) if request.label in (m.text or "")]) == 1
    approve(gh, request.id)
    assert gh.status(request.id) == "active"


def test_a_posted_request_is_not_posted_again(gatehouse):
    gh = gatehouse
    number = gh.file(DEV, "request dev 1h posted at once")
    gh.clock.advance(minutes=3)
    gh.gh.sweep()
    assert len([m for m in gh.slack.messages(APPROVALS) if f"R-{number}" in (m.text or "")]) == 1
    assert not [j for j in gh.runtime.jobs.pending("announce")]


def test_a_dm_slack_refuses_closes_the_request_and_says_why(gatehouse):
    gh = gatehouse
    number = gh.file(DEV, "request dev 1h x")
    message = gh.request_message(number)
    gh.slack.fail_next("conversations.open", error="user_disabled")
    approve(gh, number)
    assert gh.status(number) == "failed"
    why = "Slack refused the DM that would hold the credentials (user_disabled)"
    assert any(why in text for text in gh.thread_texts(message))
    assert any(why in (m.text or "") for m in gh.dms(DEV))
    assert not gh.runtime.aws_clients.iam().list_role_policies(RoleName="Dev")["PolicyNames"]


def test_an_expiry_noticed_late_says_when_the_grant_ended_and_when_it_was_seen(gatehouse):
    gh = gatehouse
    number = gh.file(DEV, "request dev 1h x")
    message = gh.request_message(number)
    approve(gh, number)
    ends = gh.runtime.requests.grant(gh.runtime.requests.get(number).grant_id).ends_at
    gh.clock.advance(hours=20)  # Gatehouse was down when the grant ended
    gh.gh.sweep()
    assert gh.status(number) == "expired"
    ended = [t for t in gh.thread_texts(message) if "expired" in t][-1]
    assert f"expired at {ends:%Y-%m-%d %H:%M}" in ended
    assert f"noticed at {gh.clock():%Y-%m-%d %H:%M}" in ended
    dm = gh.current(gh.dms(DEV)[0])
    assert f"expired at {ends:%Y-%m-%d %H:%M}" in str(dm.blocks)


def test_an_expiry_on_time_gives_only_its_end(gatehouse):
    gh = gatehouse
    number = gh.file(DEV, "request dev 1h x")
    message = gh.request_message(number)
    approve(gh, number)
    gh.clock.advance(minutes=60, seconds=20)
    gh.gh.sweep()
    ended = [t for t in gh.thread_texts(message) if "expired" in t][-1]
    assert "noticed" not in ended
    assert f"{(gh.clock() - timedelta(seconds=20)):%H:%M}" in ended


def test_the_generic_error_reply_does_not_claim_nothing_changed():
    text = unexpected(RuntimeError("boom"))
    assert "Nothing was changed" not in text and "may already have happened" in text
