"""What a first-day user reads, through signed HTTP: confirmations, decisions, forms, audit."""

from tests.e2e.conftest import ADMIN, APPROVALS, DEV, LEAD


def test_an_approval_by_two_people_names_both(gatehouse):
    gh = gatehouse
    number = gh.file(DEV, "request prod-admin 1h migration")
    message = gh.request_message(number)
    gh.client.click(LEAD, "approve", str(number), message=message)
    gh.answer(LEAD, "1 of 2")
    gh.client.click(ADMIN, "approve", str(number), message=message)
    gh.wait_status(number, "active")
    gh.idle()
    [decided] = [e["text"] for b in gh.current(message).blocks if b["type"] == "context"
                 for e in b["elements"] if "Approved by" in e["text"]]
    assert f"<@{LEAD}>" in decided and f"<@{ADMIN}>" in decided


def test_a_cancelled_request_says_who_cancelled_it_and_when(gatehouse):
    gh = gatehouse
    number = gh.file(DEV, "request dev 1h x")
    message = gh.request_message(number)
    gh.command(DEV, f"cancel R-{number}")
    gh.answer(DEV, "cancelled")
    gh.idle()
    assert f"Cancelled by <@{DEV}> at 2026-11-30 09:00 UTC" in str(gh.current(message).blocks)


def test_confirmations_say_what_was_filed_and_what_happens_next(gatehouse):
    gh = gatehouse
    gh.command(DEV, "request dev 1h look")
    pending = gh.answer(DEV, "filed")
    assert pending.startswith("R-1 filed: `dev` for 1h. It waits for approval in <#")
    gh.command(DEV, "request sandbox 30m try")
    auto = gh.answer(DEV, "R-2 filed")
    assert "Approved automatically" in auto and "until 2026-11-30 09:30 UTC" in auto
    assert "DM" in auto
    gh.command(LEAD, "pending")
    assert gh.answer(LEAD, "Waiting for your decision").count("R-1") == 1


def test_a_bad_duration_in_the_form_gets_a_form_shaped_error(gatehouse):
    gh = gatehouse
    gh.command(DEV, "request", channel="C0TEAM")
    gh.slack.wait_for(lambda: gh.slack.views(DEV))
    response = gh.client.submit_view(DEV, "request_modal", {
        "role": {"value": "dev"}, "duration": {"value": "soon"}, "reason": {"value": "x"}})
    error = response.json()["errors"]["duration"]
    assert error == "'soon' is not a duration; write it like 15m, 2h, 1h30m or 7d."


def test_the_audit_answer_counts_what_it_left_out_and_explains_odd_words(gatehouse):
    gh = gatehouse
    for number in range(1, 15):
        gh.file(DEV, f"request dev 1h task {number}")
        gh.command(DEV, f"cancel R-{number}")
        gh.answer(DEV, f"R-{number} is cancelled")
    gh.idle()
    gh.command(ADMIN, "audit 1")
    text = gh.answer(ADMIN, "Audit, last day")
    assert text.count("request.") == 25 and "older entries not shown" in text
    assert "`/access audit @person`" in text
    gh.command(ADMIN, "audit prod-readonly abc")
    gh.answer(ADMIN, "`abc` is not a number of days")
    gh.command(ADMIN, "audit @erin")
    gh.answer(ADMIN, "is not a Slack mention")
    assert APPROVALS
