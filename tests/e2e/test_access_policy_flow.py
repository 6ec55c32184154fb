"""Who may request, and the ticket a role needs, checked when a request is filed over HTTP."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import APPROVALS, DEV, DEV2, base_config

ENGINEERS = "S0ENGINEERS"


@pytest.fixture
def config():
    config = base_config()
    config["roles"]["dev"]["requesters"] = [ENGINEERS]
    config["roles"]["prod-admin"]["require_ticket"] = "^(INC|CHG)-[0-9]+$"
    config["roles"]["prod-admin"]["ticket_url"] = "https://tickets.example.com/browse/{ticket}"
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
