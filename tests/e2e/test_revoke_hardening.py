"""Revoke over signed HTTP: the inline-policy quota cannot switch it off; a refused deny is loud."""

from __future__ import annotations

from tests.e2e.conftest import ADMIN, DEV, LEAD, create_roles

CYCLES = 60  # well past the ~42 cycles that filled a role's inline-policy quota


def _grant_and_revoke(gatehouse, cycle: int) -> str:
    number = gatehouse.file(DEV, f"request sandbox 30m cycle {cycle}")
    gatehouse.wait_status(number, "active")
    seen = len(gatehouse.slack.ephemerals(DEV))
    gatehouse.command(DEV, f"revoke R-{number}")
    return gatehouse.answer(DEV, f"R-{number}", after=seen)


def test_repeated_revokes_keep_one_deny_and_every_revoke_works(gatehouse):
    for cycle in range(CYCLES):
        answer = _grant_and_revoke(gatehouse, cycle)
        assert "is revoked" in answer, answer
    names = gatehouse.iam.list_role_policies(RoleName="Sandbox")["PolicyNames"]
    assert len(names) == 1 and names[0].startswith("gatehouse-revoke-dev@example.com-")
    assert gatehouse.audit_actions().count("grant.deny_attached") == CYCLES


def test_a_refused_deny_is_reported_loudly_and_retried_until_it_lands(gatehouse, config):
    number = gatehouse.file(DEV, "request dev 1h check the logs")
    message = gatehouse.request_message(number)
    gatehouse.client.click(LEAD, "approve", str(number), message=message)
    gatehouse.wait_status(number, "active")
    gatehouse.iam.delete_role(RoleName="Dev")  # AWS now refuses PutRolePolicy on it

    seen = len(gatehouse.slack.ephemerals(DEV))
    gatehouse.command(DEV, f"revoke R-{number}")
    answer = gatehouse.answer(DEV, f"R-{number}", after=seen)
    gatehouse.idle()

    assert "NOT complete" in answer and "is revoked" not in answer
    thread = " ".join(gatehouse.thread_texts(message))
    assert "AWS refused the deny" in thread and f"<@{LEAD}>" in thread
    assert any("is not complete" in (m.text or "") for m in gatehouse.dms(DEV))
    assert any("is not complete" in (m.text or "") for m in gatehouse.dms(ADMIN))
    assert "grant.deny_attached" not in gatehouse.audit_actions()

    create_roles(gatehouse.iam, {"roles": {"dev": config["roles"]["dev"]}})
    gatehouse.clock.advance(minutes=10)
    gatehouse.gh.sweep()
    assert "grant.deny_attached" in gatehouse.audit_actions()
    assert gatehouse.iam.list_role_policies(RoleName="Dev")["PolicyNames"]
    assert any("The revoke is complete" in t for t in gatehouse.thread_texts(message))
