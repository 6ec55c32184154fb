"""The sandbox's demo rules: a group of approvers, a ticket, on-call auto-approval, break-glass."""

from __future__ import annotations

import pytest

from domain.errors import UserError
from sandbox import seed
from sandbox.app import start_sandbox


@pytest.fixture(scope="module")
def sandbox():
    started = start_sandbox({"PORT": "0"})
    yield started
    started.stop()


def test_the_approvers_group_is_shown_by_its_handle(sandbox):
    text = sandbox.runtime.gh.rules.explain("deploy")
    assert f"@leads ({seed.LEADS}): {seed.ADMIN.id}, {seed.LEAD.id}" in text
    assert "CHG-[0-9]+" in text


def test_deploy_needs_a_ticket(sandbox):
    gh = sandbox.runtime.gh
    with pytest.raises(UserError, match="needs a ticket"):
        gh.access.submit(seed.ENGINEER.id, "deploy", 3600, "ship it", gh.now())


def test_erin_is_auto_approved_while_on_call(sandbox):
    gh = sandbox.runtime.gh
    request = gh.access.submit(seed.ENGINEER.id, "oncall", 3600, "triage", gh.now())
    gh.access.announce(request.id, gh.now())
    assert sandbox.runtime.requests.get(request.id).status.value == "active"
    approved = [e for e in sandbox.runtime.audit.entries() if e.action == "request.approved"
                and e.request_id == request.id]
    assert "on call in Sandbox primary" in approved[0].details["note"]


def test_ada_may_break_the_glass_and_erin_may_not(sandbox):
    gh = sandbox.runtime.gh
    with pytest.raises(UserError, match="You may not break the glass"):
        gh.breakglass.use(seed.ENGINEER.id, "incident", 1800, "site down", gh.now())
    answer = gh.breakglass.use(seed.ADMIN.id, "incident", 1800, "site down", gh.now())
    assert "break-glass on `incident`" in answer
