"""Who may request, and the ticket a role needs, checked when a request is filed over HTTP."""

from __future__ import annotations

import io
import json

import pytest

import cli
from tests.e2e.conftest import APPROVALS, DEV, DEV2, LEAD, base_config

ENGINEERS = "S0ENGINEERS"


@pytest.fixture
def config():
    config = base_config()
    config["roles"]["dev"]["requesters"] = [ENGINEERS]
    config["roles"]["prod-admin"]["require_ticket"] = "^(INC|CHG)-[0-9]+$"
    config["roles"]["prod-admin"]["ticket_url"] = "https://tickets.example.com/browse/{ticket}"
    config["roles"]["prod-readonly"]["auto_approve"] = {"on_call": ["PABC123"]}
    config["roles"]["prod-readonly"]["break_glass"] = {
        "allowed": [ENGINEERS], "max_duration": "1h", "max_per_week": 2, "channel": "C0SECURITY"}
    config["roles"]["prod-readonly"]["max_total"] = "6h"
    return config


def test_a_requester_outside_requesters_is_refused_in_words(gatehouse):
    gh = gatehouse
    gh.slack.add_usergroup(ENGINEERS, [DEV])
    gh.command(DEV2, "request dev 1h debugging")
    answer = gh.answer(DEV2, "You may not request dev")
    assert ENGINEERS in answer and "who-can dev" in answer
    assert gh.runtime.requests.pending() == []
    assert gh.file(DEV, "request dev 1h debugging") > 0


def test_a_requester_group_that_cannot_be_read_fails_closed_in_words(gatehouse):
    gh = gatehouse
    gh.slack.add_usergroup(ENGINEERS, [DEV])
    gh.slack.fail_next("usergroups.users.list", error="missing_scope", times=5)
    gh.command(DEV, "request dev 1h debugging")
    answer = gh.answer(DEV, "could not read the members")
    assert ENGINEERS in answer and "missing_scope" in answer
    assert gh.runtime.requests.pending() == []


def test_a_reason_without_a_ticket_is_refused_with_the_pattern_shown(gatehouse):
    gh = gatehouse
    gh.command(DEV, "request prod-admin 1h fix the disk")
    answer = gh.answer(DEV, "needs a ticket")
    assert "^(INC|CHG)-[0-9]+$" in answer
    assert gh.runtime.requests.pending() == []


def test_the_ticket_is_linked_in_the_approval_message_and_audited(gatehouse):
    gh = gatehouse
    number = gh.file(DEV, "request prod-admin 1h INC-42: fix the disk")
    message = gh.request_message(number, APPROVALS)
    assert "<https://tickets.example.com/browse/INC-42|INC-42>" in json.dumps(message.blocks)
    created = next(e for e in gh.runtime.audit.entries() if e.action == "request.created")
    assert created.details["ticket"] == "INC-42"
    assert created.details["ticket_url"] == "https://tickets.example.com/browse/INC-42"


def who_can(gh, role: str) -> str:
    seen = len(gh.slack.ephemerals(DEV2))
    gh.command(DEV2, f"who-can {role}")
    return gh.answer(DEV2, "Who can do what", after=seen)


def test_who_can_tells_each_kind_of_rule(gatehouse):
    gh = gatehouse
    gh.slack.add_usergroup(ENGINEERS, [DEV, LEAD], handle="engineers")
    dev = who_can(gh, "dev")
    assert f"Who may request: @engineers ({ENGINEERS}): {DEV}, {LEAD}" in dev
    assert "Self-approval: allowed" in dev and "Break-glass: not available" in dev
    admin = who_can(gh, "prod-admin")
    assert "Who may request: anyone" in admin and "2 distinct approvers" in admin
    assert "Ticket: the reason must contain a ticket matching `^(INC|CHG)-[0-9]+$`" in admin
    assert "https://tickets.example.com/browse/{ticket}" in admin
    prod = who_can(gh, "prod-readonly")
    assert "on call now in PagerDuty schedule PABC123" in prod
    assert f"Break-glass: @engineers ({ENGINEERS}): {DEV}, {LEAD} may use" in prod
    assert "C0SECURITY" in prod
    assert "at most 2 a week" in prod and "6h in total with extensions" in prod
    assert f"Who approves: {LEAD}; and Gatehouse admins" in prod
    assert "every request is approved without a human" in who_can(gh, "sandbox")
    assert "granted only between 08:00 and 12:00 (UTC)" in who_can(gh, "office")


def test_who_can_says_when_a_group_cannot_be_read_and_refuses_unknown_roles(gatehouse):
    gh = gatehouse
    gh.slack.fail_next("usergroups.users.list", error="missing_scope", times=5)
    assert "could not be read (missing_scope), so nobody counts from it" in who_can(gh, "dev")
    gh.command(DEV2, "who-can nope")
    assert "There is no role called 'nope'" in gh.answer(DEV2, "no role called")
    gh.command(DEV2, "who-can")
    assert "/access who-can <role>" in gh.answer(DEV2, "Which role?")


def test_policy_explain_prints_the_same_text_as_who_can(gatehouse):
    gh = gatehouse
    gh.slack.add_usergroup(ENGINEERS, [DEV], handle="engineers")
    out = io.StringIO()
    assert cli.dispatch(["policy", "explain", "prod-readonly"], dict(gh.env), out) == 0
    assert out.getvalue().strip() == who_can(gh, "prod-readonly")
    assert f"@engineers ({ENGINEERS}): {DEV}" in out.getvalue()


def test_who_can_shows_group_ids_when_their_names_cannot_be_read(gatehouse):
    gh = gatehouse
    gh.slack.add_usergroup(ENGINEERS, [DEV], handle="engineers")
    gh.slack.fail_next("usergroups.list", error="missing_scope", times=5)
    assert f"Who may request: {ENGINEERS}: {DEV}" in who_can(gh, "dev")
    assert cli.dispatch(["policy", "explain", "nope"], dict(gh.env), io.StringIO()) == 2
