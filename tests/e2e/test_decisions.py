"""Who may decide is read when they decide; the request form's reply channel cannot be forged."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import DEV, LEAD, LEAD2, PROD_APPROVALS, base_config

GROUP = "S0LEADS"


@pytest.fixture
def config():
    config = base_config()
    config["roles"]["prod-readonly"]["approvers"] = [GROUP]
    return config


def test_someone_removed_from_the_approver_group_can_no_longer_approve(gatehouse):
    gh = gatehouse
    gh.slack.add_usergroup(GROUP, [LEAD2])
    number = gh.file(DEV, "request prod-readonly 1h incident")
    message = gh.request_message(number, PROD_APPROVALS)  # the group was read to post it
    gh.slack.add_usergroup(GROUP, [LEAD])  # LEAD2 leaves the group a moment later
    gh.client.click(LEAD2, "approve", str(number), message=message)
    gh.answer(LEAD2, "Only this role's approvers")
    assert gh.status(number) == "pending"
    gh.client.click(LEAD, "approve", str(number), message=message)
    gh.idle()
    assert gh.status(number) == "active"


def test_a_group_that_cannot_be_read_fails_closed_in_words(gatehouse):
    gh = gatehouse
    gh.slack.add_usergroup(GROUP, [LEAD2])
    number = gh.file(DEV, "request prod-readonly 1h incident")
    message = gh.request_message(number, PROD_APPROVALS)
    gh.slack.fail_next("usergroups.users.list", error="missing_scope", times=5)
    gh.client.click(LEAD2, "approve", str(number), message=message)
    answer = gh.answer(LEAD2, "could not read the members of the Slack user group")
    assert GROUP in answer and "nothing was changed" in answer
    gh.client.click(LEAD2, "deny", str(number), message=message)
    gh.answer(LEAD2, "could not read the members of the Slack user group", after=1)
    assert gh.status(number) == "pending" and not gh.slack.views(LEAD2)


def test_the_request_form_answers_in_the_channel_it_was_opened_from(gatehouse):
    gh = gatehouse
    gh.command(DEV, "request", channel="C0TEAM")
    gh.slack.wait_for(lambda: gh.slack.views(DEV))
    gh.client.submit_view(DEV, "request_modal", {
        "role": {"value": "dev"}, "duration": {"value": "1h"}, "reason": {"value": "debug"}})
    gh.idle()
    assert [e.channel for e in gh.slack.ephemerals(DEV) if "filed" in (e.text or "")] == \
        ["C0TEAM"]


def test_a_forged_reply_channel_is_refused_in_words(gatehouse):
    gh = gatehouse
    gh.command(DEV, "request", channel="C0TEAM")
    gh.slack.wait_for(lambda: gh.slack.views(DEV))
    for forged in ("C0SECRET", "C0SECRET.0123456789abcdef0123456789abcdef", ""):
        response = gh.client.submit_view(
            DEV, "request_modal", {"role": {"value": "dev"}, "duration": {"value": "1h"},
                                   "reason": {"value": "debug"}}, private_metadata=forged)
        body = response.json()
        assert body["response_action"] == "errors"
        assert "changed after Gatehouse opened it" in body["errors"]["role"]
    gh.idle()
    assert gh.runtime.requests.requests_where("1=1") == []
    assert not [e for e in gh.slack.ephemerals(DEV) if e.channel == "C0SECRET"]
