"""Reminders, expiry of pending requests, warnings before the end, and extensions."""

import pytest

from tests.e2e.conftest import ADMIN, APPROVALS, DEV, LEAD, OTHER


def file_request(gh, user=DEV, text="request dev 1h look at logs"):
    return gh.file(user, text)


def approve(gh, number, channel=APPROVALS, approver=LEAD):
    gh.client.click(approver, "approve", str(number), message=gh.request_message(number, channel))
    gh.idle()


def test_reminder_once_then_pending_expiry(gatehouse):
    gh = gatehouse
    number = file_request(gh)
    message = gh.request_message(number)
    gh.clock.advance(minutes=29)
    gh.gh.sweep()
    assert not any("still waiting" in t for t in gh.thread_texts(message))
    gh.clock.advance(minutes=1)
    gh.gh.sweep()
    gh.gh.sweep()
    reminders = [t for t in gh.thread_texts(message) if "still waiting" in t]
    assert len(reminders) == 1 and f"<@{LEAD}>" in reminders[0]
    gh.clock.advance(hours=4)
    gh.gh.sweep()
    assert gh.status(number) == "expired"
    assert "Approve" not in str(gh.current(message).blocks)
    assert any("expired before anyone decided" in (m.text or "") for m in gh.dms(DEV))
    gh.client.click(LEAD, "approve", str(number), message=message)
    gh.answer(LEAD, "already expired")
    assert "request.expired" in gh.audit_actions()


def test_warning_before_the_end_offers_extend(gatehouse):
    gh = gatehouse
    number = file_request(gh)
    approve(gh, number)
    gh.clock.advance(minutes=44)
    gh.gh.sweep()
    assert not any("ends in" in (m.text or "") for m in gh.dms(DEV))
    gh.clock.advance(minutes=1)
    gh.gh.sweep()
    gh.gh.sweep()
    warnings = [m for m in gh.dms(DEV) if "ends in 15 minutes" in (m.text or "")]
    assert len(warnings) == 1
    assert any(e.get("action_id") == "extend_open" for b in warnings[0].blocks
               for e in b.get("elements", []))


def test_extend_through_the_button_and_approval(gatehouse):
    gh = gatehouse
    number = file_request(gh)
    approve(gh, number)
    dm = gh.dms(DEV)[-1]
    first_secret = str(dm.blocks)
    gh.clock.advance(minutes=40)
    gh.client.click(DEV, "extend_open", str(number), message=dm)
    gh.slack.wait_for(lambda: gh.slack.views(DEV))
    gh.client.submit_view(DEV, "extend_modal", {"duration": {"value": "30m"},
                                                "reason": {"value": "tests still running"}})
    gh.idle()
    extension = number + 1
    assert gh.status(extension) == "pending"
    approve(gh, extension)
    assert gh.status(extension) == "active"
    grant = gh.runtime.requests.grant(gh.runtime.requests.get(number).grant_id)
    assert grant.ends_at == gh.clock() + __import__("datetime").timedelta(minutes=50)
    assert str(gh.current(dm).blocks) != first_secret  # new credentials in the same DM
    gh.clock.advance(minutes=21)
    gh.gh.sweep()
    assert gh.status(number) == "active"
    gh.clock.advance(minutes=30)
    gh.gh.sweep()
    assert gh.status(number) == "expired" and gh.status(extension) == "expired"
    assert "AWS_SECRET_ACCESS_KEY" not in str(gh.current(dm).blocks)


def test_extend_command_rules(gatehouse):
    gh = gatehouse
    number = file_request(gh)
    gh.command(DEV, f"extend R-{number} 30m more")
    gh.answer(DEV, "not an active grant")
    approve(gh, number)
    gh.command(OTHER, f"extend R-{number} 30m more")
    gh.answer(OTHER, "not yours")
    gh.command(DEV, f"extend R-{number} 9h more")
    gh.answer(DEV, "over the limit")
    gh.command(DEV, f"extend R-{number} 30m more")
    gh.answer(DEV, f"30m more on R-{number}")
    gh.command(DEV, f"extend R-{number} 30m again")
    gh.answer(DEV, "already asks to extend")


def test_second_request_for_the_same_role_points_to_the_first(gatehouse):
    gh = gatehouse
    number = file_request(gh)
    gh.command(DEV, "request dev 1h again")
    assert f"R-{number}" in gh.answer(DEV, "already have")
    approve(gh, number)
    gh.command(DEV, "request dev 1h again")
    assert "extend" in gh.answer(DEV, "already hold")


def test_pending_lists_what_waits_for_the_approver(gatehouse):
    gh = gatehouse
    number = file_request(gh)
    gh.command(LEAD, "pending")
    assert f"R-{number}" in gh.answer(LEAD, "Waiting for your decision")
    gh.command(OTHER, "pending")
    gh.answer(OTHER, "Nothing is waiting")
    gh.command(ADMIN, "pending")
    assert f"R-{number}" in gh.answer(ADMIN, "Waiting for your decision")


def test_list_shows_only_pending_and_active(gatehouse):
    gh = gatehouse
    first = file_request(gh)
    second = file_request(gh, text="request prod-readonly 1h x")
    gh.command(DEV, f"cancel R-{second}")
    gh.answer(DEV, "cancelled")
    gh.command(DEV, "list")
    text = gh.answer(DEV, "Your requests")
    assert f"R-{first}" in text and f"R-{second}" not in text


def test_business_hours_clip_the_grant(gatehouse):
    gh = gatehouse  # the clock starts at 09:00 UTC; the office window closes at 12:00
    number = file_request(gh, text="request office 4h paperwork")
    approve(gh, number)
    grant = gh.runtime.requests.grant(gh.runtime.requests.get(number).grant_id)
    assert grant.ends_at.hour == 12 and grant.ends_at.minute == 0
    assert "instead of 4h" in str(gh.dms(DEV)[-1].blocks)


def test_outside_business_hours_is_refused(gatehouse):
    gh = gatehouse
    gh.clock.advance(hours=4)
    gh.command(DEV, "request office 1h late work")
    gh.answer(DEV, "only be granted between 08:00 and 12:00")


def test_aws_refusal_fails_the_request_with_words(gatehouse):
    gh = gatehouse
    number = file_request(gh, text="request prod-readonly 1h x")
    gh.iam.delete_role(RoleName="ProdReadOnly")
    gh.gh.rules.forget_limits()
    approve(gh, number, channel="C0PRODAPPROVALS")
    assert gh.status(number) == "failed"
    dm = [m.text for m in gh.dms(DEV) if "failed" in (m.text or "")]
    assert dm and "Traceback" not in dm[0] and "does not exist" in dm[0]


@pytest.mark.parametrize("text,words", [
    ("bogus", "not an /access command"),
    ("request", None),
    ("request nope 1h x", "no role called 'nope'"),
    ("request dev soon x", "not a duration"),
    ("request dev 9h x", "over the limit"),
    ("request dev 5m x", "at least 15m"),
    ("request dev 1h", "reason is required"),
    ("request dev", "which role and for how long"),
    ("cancel", "Which request"),
    ("cancel abc", "not a request id"),
    ("cancel R-999", "no request R-999"),
    ("revoke R-999", "no request R-999"),
    ("extend R-1", "how much more time"),
    ("audit", "Only Gatehouse admins"),
])
def test_bad_input_gets_an_ephemeral_explanation(gatehouse, text, words):
    gh = gatehouse
    response = gh.command(DEV, text)
    assert response.status_code == 200
    if words is None:  # `/access request` alone opens the form
        gh.slack.wait_for(lambda: gh.slack.views(DEV))
        return
    answer = gh.answer(DEV, words.split("'")[0] if "'" in words else words)
    assert "Traceback" not in answer
    assert not gh.slack.messages("C0GENERAL")  # nothing public where the command was typed
    assert gh.runtime.requests.requests_where("1=1") == []


def test_help_lists_every_subcommand(gatehouse):
    gh = gatehouse
    gh.command(DEV, "help")
    text = gh.answer(DEV, "Gatehouse")
    for sub in ("request", "list", "cancel", "revoke", "extend", "rotate-key", "pending",
                "digest", "audit"):
        assert f"/access {sub}" in text


def test_request_modal_files_a_request(gatehouse):
    gh = gatehouse
    gh.command(DEV, "request", channel="C0TEAM")
    gh.slack.wait_for(lambda: gh.slack.views(DEV))
    response = gh.client.submit_view(DEV, "request_modal", {
        "role": {"value": "dev"}, "duration": {"value": "nonsense"}, "reason": {"value": "x"}})
    assert response.json()["response_action"] == "errors"
    gh.client.submit_view(DEV, "request_modal", {
        "role": {"value": "dev"}, "duration": {"value": "45m"}, "reason": {"value": "debug"}})
    gh.idle()
    assert gh.status(1) == "pending"
    assert any("R-1 filed" in (e.text or "") for e in gh.slack.ephemerals(DEV))
