"""The request lifecycle end to end, over signed HTTP, fake Slack and moto."""

from datetime import timedelta

from tests.e2e.conftest import ADMIN, APPROVALS, DEV, LEAD, OTHER, PROD_APPROVALS


def file_request(gh, user=DEV, text="request prod-readonly 1h investigate <!channel> incident"):
    return gh.file(user, text)


def test_request_approve_credentials_list_revoke(gatehouse):
    gh = gatehouse
    number = file_request(gh)
    message = gh.request_message(number, PROD_APPROVALS)
    shown = str(message.blocks)
    assert "&lt;!channel&gt;" in shown and "<!channel>" not in shown
    assert any(e.get("action_id") == "approve" for b in message.blocks
               for e in b.get("elements", []))

    gh.client.click(LEAD, "approve", str(number), message=message)
    gh.idle()
    dm = gh.slack.wait_for(lambda: gh.dms(DEV))[-1]
    text = str(dm.blocks)
    assert "AWS_SECRET_ACCESS_KEY=" in text and "AWS_SESSION_TOKEN=" in text
    assert "federation?Action=login" in text
    updated = gh.current(message)
    assert "approve" not in str(updated.blocks) or "Approved by" in str(updated.blocks)
    assert any("Access granted" in t for t in gh.thread_texts(message))

    gh.command(DEV, "list")
    assert f"R-{number}" in gh.answer(DEV, "active until")

    gh.clock.advance(minutes=10)
    gh.command(DEV, f"revoke R-{number}")
    gh.answer(DEV, "revoked")
    assert gh.status(number) == "revoked"
    policies = gh.iam.list_role_policies(RoleName="ProdReadOnly")["PolicyNames"]
    assert any(p.startswith("gatehouse-revoke-") for p in policies)
    scrubbed = gh.current(dm)
    assert "AWS_SECRET_ACCESS_KEY" not in str(scrubbed.blocks) + scrubbed.text
    assert "federation" not in str(scrubbed.blocks)

    gh.clock.advance(hours=12, minutes=1)
    gh.gh.sweep()
    policies = gh.iam.list_role_policies(RoleName="ProdReadOnly")["PolicyNames"]
    assert not any(p.startswith("gatehouse-revoke-") for p in policies)
    actions = gh.audit_actions()
    for action in ("request.created", "request.approved", "grant.activated", "grant.revoked",
                   "grant.deny_attached", "grant.deny_removed"):
        assert action in actions


def test_grant_expires_in_the_sweep_and_the_dm_is_scrubbed(gatehouse):
    gh = gatehouse
    number = file_request(gh, text="request dev 30m check logs")
    message = gh.request_message(number)
    gh.client.click(LEAD, "approve", str(number), message=message)
    gh.idle()
    dm = gh.dms(DEV)[-1]
    gh.clock.advance(minutes=29)
    gh.gh.sweep()
    assert gh.status(number) == "active"
    gh.clock.advance(minutes=1)
    gh.gh.sweep()
    assert gh.status(number) == "expired"
    assert "AWS_SECRET_ACCESS_KEY" not in str(gh.current(dm).blocks)
    assert "grant.expired" in gh.audit_actions()


def test_assume_role_parameters(gatehouse, monkeypatch):
    gh = gatehouse
    sent = {}
    sts = gh.runtime.aws_clients.sts()

    def capture(params, **kwargs):
        sent.update(params)
    sts.meta.events.register("provide-client-params.sts.AssumeRole", capture)
    number = file_request(gh)
    gh.client.click(LEAD, "approve", str(number), message=gh.request_message(number,
                                                                             PROD_APPROVALS))
    gh.idle()
    assert sent["DurationSeconds"] == 3600
    assert sent["SourceIdentity"] == "dev@example.com"
    assert DEV in sent["RoleSessionName"] and f"R{number}" in sent["RoleSessionName"]
    assert {"Key": "gatehouse-request", "Value": f"R-{number}"} in sent["Tags"]
    policy = sent["Policy"]
    assert "203.0.113.0/24" in policy and "aws:CurrentTime" in policy
    assert (gh.clock() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M") in policy


def test_deny_with_reason(gatehouse):
    gh = gatehouse
    number = file_request(gh, text="request dev 1h x")
    message = gh.request_message(number)
    gh.client.click(LEAD, "deny", str(number), message=message)
    gh.slack.wait_for(lambda: gh.slack.views(LEAD))
    gh.client.submit_view(LEAD, "deny_modal", {"reason": {"value": "not <!here> today"}})
    gh.wait_status(number, "denied")
    gh.idle()
    assert any("not &lt;!here&gt; today" in t for t in gh.thread_texts(message))
    assert any("denied" in (m.text or "") for m in gh.dms(DEV))


def test_non_approver_and_self_approval_are_refused(gatehouse):
    gh = gatehouse
    number = file_request(gh)
    message = gh.request_message(number, PROD_APPROVALS)
    gh.client.click(OTHER, "approve", str(number), message=message)
    gh.answer(OTHER, "Only this role's approvers")
    gh.client.click(DEV, "approve", str(number), message=message)
    gh.answer(DEV, "own request")
    assert gh.status(number) == "pending"


def test_self_approval_when_allowed(gatehouse):
    gh = gatehouse
    number = file_request(gh, user=LEAD, text="request dev 1h my own")
    gh.client.click(LEAD, "approve", str(number), message=gh.request_message(number))
    gh.wait_status(number, "active")


def test_two_of_two_approvals(gatehouse):
    gh = gatehouse
    number = file_request(gh, text="request prod-admin 1h migration")
    message = gh.request_message(number)
    gh.client.click(LEAD, "approve", str(number), message=message)
    gh.answer(LEAD, "1 of 2")
    gh.client.click(LEAD, "approve", str(number), message=message)
    gh.answer(LEAD, "already approved")
    assert gh.status(number) == "pending"
    gh.client.click(ADMIN, "approve", str(number), message=message)
    gh.wait_status(number, "active")


def test_auto_approve(gatehouse):
    gh = gatehouse
    file_request(gh, text="request sandbox 30m try things")
    gh.slack.wait_for(lambda: gh.dms(DEV))
    assert "Gatehouse (auto-approval)" in str(gh.slack.messages(APPROVALS)[-1].blocks)


def test_cancel(gatehouse):
    gh = gatehouse
    number = file_request(gh, text="request dev 1h x")
    message = gh.request_message(number)
    gh.command(OTHER, f"cancel R-{number}")
    gh.answer(OTHER, "not yours")
    gh.command(DEV, f"cancel R-{number}")
    gh.answer(DEV, "cancelled")
    assert gh.status(number) == "cancelled"
    gh.client.click(LEAD, "approve", str(number), message=message)
    gh.answer(LEAD, "already cancelled")
