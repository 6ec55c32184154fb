"""What a first-day user reads: confirmations, lists, the audit answer, forms and decisions."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from domain.audit import AuditEntry
from domain.errors import UserError
from domain.requests import AccessRequest, Grant, Kind, Status
from handlers import blocks, commands, render, views

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
ROLES = {"prod-readonly": None, "dev": None}


def request(status=Status.PENDING, **changes):
    made = AccessRequest(id=11, kind=Kind.ACCESS, requester="U0DEV", role="prod-readonly",
                         reason="look", duration_seconds=3600, status=status, created_at=NOW)
    return replace(made, **changes)


def grant(request_id=11):
    return Grant(id=1, request_id=request_id, requester="U0DEV", role="prod-readonly",
                 role_arn="arn:aws:iam::123456789012:role/P", started_at=NOW,
                 ends_at=NOW + timedelta(hours=1), source_identity="dev@example.com",
                 session_name="gatehouse-U0DEV-R11")


def entry(number):
    return AuditEntry(number, f"2026-11-30T09:{number % 60:02d}:00Z", "U0DEV", "request.created",
                      number, "dev", "U0DEV", {}, "", "")


def test_every_confirmation_says_id_role_duration_and_what_happens_next():
    pending = render.filed(request(), None, "C0APPROVALS")
    assert pending.startswith("R-11 filed: `prod-readonly` for 1h.")
    assert "waits for approval in <#C0APPROVALS>" in pending and "DM" in pending
    active = render.filed(request(Status.ACTIVE, role="sandbox"), grant(), "C0APPROVALS")
    assert active.startswith("R-11 filed: `sandbox` for 1h.")
    assert "Approved automatically" in active and "until 2026-11-30 10:00 UTC" in active
    assert "DM" in active
    extend = render.filed(request(kind=Kind.EXTEND, parent_id=4, duration_seconds=1800), None,
                          "C0APPROVALS")
    assert extend.startswith("R-11 filed: 30m more on R-4 (`prod-readonly`).")
    extended = render.filed(request(Status.ACTIVE, kind=Kind.EXTEND, parent_id=4), grant(4),
                            "C0APPROVALS")
    assert "R-4 now runs until 2026-11-30 10:00 UTC" in extended


def test_pending_names_each_request_once():
    text = render.waiting([request()])
    assert text.count("R-11") == 1 and "access to prod-readonly" in text


def test_list_with_only_keys_still_says_there_are_no_requests():
    text = render.own_requests([], {}, ["• Access key AKIA… is 3 days old"])
    assert "no pending requests or active grants" in text and "AKIA" in text


def test_the_audit_answer_says_how_many_were_left_out_and_how_to_narrow():
    text = render.audit_entries([entry(n) for n in range(40)], 7)
    assert text.count("request.created") == render.AUDIT_SHOWN
    assert "15 older entries not shown" in text and "@person" in text and "<role>" in text
    capped = render.audit_entries([entry(n) for n in range(render.AUDIT_READ)], 7)
    assert f"{render.AUDIT_READ - render.AUDIT_SHOWN}+ older entries" in capped
    assert "last day" in render.audit_entries([entry(1)], 1)
    assert "in the last day." in render.audit_entries([], 1)
    assert "last 7 days" in render.audit_entries([entry(1)], 7)


@pytest.mark.parametrize(("text", "words"), [
    ("audit prod-readonly abc", "`abc` is not a number of days"),
    ("audit abc", "There is no role called `abc`; the roles are `dev`, `prod-readonly`"),
    ("audit @erin", "`@erin` is not a Slack mention"),
])
def test_audit_words_that_are_not_understood_say_what_was_expected(text, words):
    with pytest.raises(UserError, match=words.replace("(", r"\(")):
        commands.audit_args(commands.parse(text), ROLES)
    assert commands.audit_args(commands.parse("audit prod-readonly 30"), ROLES) == (
        None, "prod-readonly", 30)


def test_optional_form_inputs_are_labelled_once():
    for view in (views.deny_modal(4, "R-4"), views.extend_modal(4, "R-4")):
        labels = [b["label"]["text"] for b in view["blocks"]]
        assert all("optional" not in label.lower() for label in labels)


def test_a_bad_duration_in_a_form_gets_a_short_form_shaped_error():
    with pytest.raises(UserError) as caught:
        commands.form_duration("soon")
    text = commands.form_error(caught.value)
    assert text == "'soon' is not a duration; write it like 15m, 2h, 1h30m or 7d."
    long = UserError("First sentence that is long enough to be kept whole here. " * 4
                     + "Write: `/access request`")
    shaped = commands.form_error(long)
    assert len(shaped) <= 150 and "`" not in shaped and shaped.endswith(".")


def test_an_approval_by_several_people_names_them_all():
    approved = request(Status.ACTIVE, decided_by="U0B", decided_at=NOW, approvals_required=2)
    text = str(blocks.request_message(approved, description="", approvals=["U0A", "U0B"],
                                      deciders=[]))
    assert "Approved by <@U0A>, <@U0B> at 2026-11-30 09:00 UTC" in text


def test_a_cancelled_request_says_who_cancelled_it_and_when():
    cancelled = request(Status.CANCELLED, decided_by="U0DEV", decided_at=NOW)
    text = str(blocks.request_message(cancelled, description="", approvals=[], deciders=[]))
    assert "Cancelled by <@U0DEV> at 2026-11-30 09:00 UTC" in text
