"""Permission-set grants end to end: signed HTTP, fake Slack, moto's sso-admin and identitystore."""

from __future__ import annotations

import json

import pytest
from botocore.awsrequest import AWSResponse

from tests.e2e.conftest import DEV, DEV2, LEAD, OTHER, Clock, base_config, start_bot, stop_bot

PROD, DEV_ACCOUNT, HOME = "111111111111", "222222222222", "123456789012"


def manage(account: str) -> dict[str, str]:
    return {"id": account, "manage_role": f"arn:aws:iam::{account}:role/GatehouseManage"}


class Center:
    """The emulated Identity Center instance, its users and permission sets."""

    def __init__(self, aws) -> None:
        self.sso, self.ids = aws.client("sso-admin"), aws.client("identitystore")
        instance = self.sso.list_instances()["Instances"][0]
        self.instance_arn, self.store_id = instance["InstanceArn"], instance["IdentityStoreId"]
        self.admin = self.sso.create_permission_set(
            InstanceArn=self.instance_arn, Name="AdministratorAccess",
            SessionDuration="PT2H")["PermissionSet"]["PermissionSetArn"]
        self.users = {user: self.user(name, email) for user, name, email in
                      [(DEV, "dev", "dev@example.com"), (DEV2, "dev2", "dev2@example.com")]}

    def user(self, name: str, email: str) -> str:
        return self.ids.create_user(
            IdentityStoreId=self.store_id, UserName=name, DisplayName=name,
            Name={"GivenName": name, "FamilyName": "Example"},
            Emails=[{"Value": email, "Type": "work", "Primary": True}])["UserId"]

    def assigned(self, account: str, slack_user: str) -> bool:
        found = self.sso.list_account_assignments(
            InstanceArn=self.instance_arn, AccountId=account,
            PermissionSetArn=self.admin)["AccountAssignments"]
        return any(a["PrincipalId"] == self.users[slack_user] for a in found)

    def assign(self, account: str, slack_user: str) -> None:
        self.sso.create_account_assignment(
            InstanceArn=self.instance_arn, TargetId=account, TargetType="AWS_ACCOUNT",
            PermissionSetArn=self.admin, PrincipalType="USER",
            PrincipalId=self.users[slack_user])

    def inline_policy(self) -> dict | None:
        text = self.sso.get_inline_policy_for_permission_set(
            InstanceArn=self.instance_arn, PermissionSetArn=self.admin).get("InlinePolicy")
        return json.loads(text) if text else None


@pytest.fixture
def center(aws) -> Center:
    return Center(aws)


@pytest.fixture
def cleanup() -> bool:
    return False


@pytest.fixture
def bot(tmp_path, aws, slack, federation, center, cleanup):
    config = base_config()
    config["accounts"] = {"home": manage(HOME), "prod": manage(PROD),
                          "dev": manage(DEV_ACCOUNT)}
    config["identity_center"] = {"instance_arn": center.instance_arn,
                                 "identity_store_id": center.store_id,
                                 "portal_url": "https://example.awsapps.com/start",
                                 "cleanup": cleanup}
    rules = {"permission_set": "AdministratorAccess", "max_duration": "4h", "approvers": [LEAD]}
    config["permission_sets"] = {"admin": {**rules, "accounts": ["prod", "dev"]},
                                 "incident": {**rules, "accounts": ["prod"],
                                              "auto_approve": True}}
    harness = start_bot(tmp_path, aws, slack, federation, config, Clock())
    harness.runtime.identity_center.center.sleep = lambda seconds: None
    yield harness
    stop_bot(harness)


def grant(bot, user: str, text: str) -> int:
    number = bot.file(user, text)
    message = bot.request_message(number)
    bot.client.click(LEAD, "approve", str(number), message=message)
    bot.idle()
    bot.wait_status(number, "active")
    return number


def expire(bot, **delta: float) -> None:
    bot.clock.advance(**delta)
    bot.gh.sweep()


def test_a_grant_assigns_the_permission_set_and_its_expiry_removes_it(bot, center):
    number = grant(bot, DEV, "request prod/admin 1h fix the incident")
    assert center.assigned(PROD, DEV) and not center.assigned(DEV_ACCOUNT, DEV)
    dm = bot.dms(DEV)[-1].text
    assert "https://example.awsapps.com/start" in dm
    assert "AdministratorAccess" in dm and "prod" in dm and PROD in dm
    assert "AWS_SECRET_ACCESS_KEY" not in dm

    expire(bot, minutes=61)
    assert bot.status(number) == "expired"
    assert not center.assigned(PROD, DEV)
    assert "identity_center.unassigned" in bot.audit_actions()


def test_overlapping_grants_keep_the_assignment_until_the_last_one_ends(bot, center):
    first = grant(bot, DEV, "request prod/admin 1h deploy")
    second = bot.file(DEV, "request incident 2h on call")  # auto-approved, same assignment
    bot.idle()
    bot.wait_status(second, "active")
    expire(bot, minutes=61)
    assert bot.status(first) == "expired" and bot.status(second) == "active"
    assert center.assigned(PROD, DEV)
    expire(bot, minutes=60)
    assert bot.status(second) == "expired"
    assert not center.assigned(PROD, DEV)


def test_a_standing_assignment_is_never_removed(bot, center):
    center.assign(PROD, DEV)
    number = grant(bot, DEV, "request prod/admin 1h deploy")
    bot.command(DEV, f"revoke R-{number}")
    bot.answer(DEV, "revoked")
    expire(bot, hours=3)
    assert center.assigned(PROD, DEV)


def test_revoke_removes_the_assignment_and_ends_open_sessions_for_that_user_only(bot, center):
    other = grant(bot, DEV2, "request prod/admin 2h pairing")
    number = grant(bot, DEV, "request prod/admin 2h deploy")
    bot.clock.advance(minutes=10)
    bot.command(DEV, f"revoke R-{number}")
    bot.answer(DEV, "revoked")
    assert bot.status(number) == "revoked" and bot.status(other) == "active"
    assert not center.assigned(PROD, DEV) and center.assigned(PROD, DEV2)
    [deny] = center.inline_policy()["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"]["StringEquals"] == {"identitystore:UserId": center.users[DEV]}
    assert deny["Condition"]["DateLessThan"]["aws:TokenIssueTime"] == "2026-11-30T09:10:01Z"
    assert center.sso.list_accounts_for_provisioned_permission_set(
        InstanceArn=center.instance_arn, PermissionSetArn=center.admin)["AccountIds"]
    assert "grant.session_deny_attached" in bot.audit_actions()

    expire(bot, hours=1)  # a session opened before the cut-off may still be alive
    assert center.inline_policy() is not None
    expire(bot, hours=1, minutes=11)  # the permission set's 2 h and a margin have passed
    assert center.inline_policy() is None
    assert "grant.session_deny_removed" in bot.audit_actions()


def test_a_user_not_in_the_identity_store_is_refused_in_words_when_filing(bot, center):
    bot.command(OTHER, "request prod/admin 1h look around")
    text = bot.answer(OTHER, "IAM Identity Center")
    assert "no IAM Identity Center user with your Slack e-mail (other@example.com)" in text
    assert "Ask an admin" in text
    assert bot.runtime.requests.get(1) is None  # nothing was filed


def test_a_user_gone_from_the_identity_store_by_grant_time_is_refused_in_words(bot, center):
    number = bot.file(DEV, "request prod/admin 1h look around")
    center.ids.delete_user(IdentityStoreId=center.store_id, UserId=center.users[DEV])
    bot.client.click(LEAD, "approve", str(number), message=bot.request_message(number))
    bot.idle()
    bot.wait_status(number, "failed")
    text = bot.dms(DEV)[-1].text
    assert "no IAM Identity Center user with your Slack e-mail (dev@example.com)" in text


def test_help_and_who_can_name_the_permission_sets(bot, center):
    bot.command(DEV, "help")
    text = bot.answer(DEV, "Permission sets")
    assert "`prod/admin`" in text and "`dev/admin`" in text and "`incident`" in text
    bot.command(DEV, "who-can prod/admin")
    said = bot.answer(DEV, "prod/admin", after=1)
    assert "Who approves: U0LEAD" in said and "up to 4h a grant" in said


def grant_failing(bot, user: str, text: str) -> int:
    number = bot.file(user, text)
    bot.client.click(LEAD, "approve", str(number), message=bot.request_message(number))
    bot.idle()
    bot.wait_status(number, "failed")
    return number


def answer_with(parsed: dict):
    def handler(**_):
        return AWSResponse("https://sso.local", 200, {}, None), parsed
    return handler


def test_an_assignment_aws_fails_is_reported_with_its_reason(bot, center):
    sso = bot.runtime.identity_center.center.sso
    status = {"Status": "IN_PROGRESS", "RequestId": "7c9e6679-7425-40de-944b-e07fc1f90ae7"}
    failed = {**status, "Status": "FAILED",
              "FailureReason": "Received a 404 status error: Not supported account"}
    sso.meta.events.register("before-call.sso-admin.CreateAccountAssignment",
                             answer_with({"AccountAssignmentCreationStatus": status}))
    sso.meta.events.register("before-call.sso-admin.DescribeAccountAssignmentCreationStatus",
                             answer_with({"AccountAssignmentCreationStatus": failed}))
    number = grant_failing(bot, DEV, "request dev/admin 1h try it")
    said = [m.text for m in bot.dms(DEV)][-1]
    assert "Not supported account" in said and f"R-{number}" in said
    thread = bot.thread_texts(bot.request_message(number))
    assert any("Not supported account" in line for line in thread)


def test_drift_lists_standing_assignments_but_not_gatehouse_ones(bot, center):
    from services.identity_center_drift import standing_assignments

    center.assign(DEV_ACCOUNT, DEV2)
    grant(bot, DEV, "request prod/admin 1h deploy")
    feature = bot.runtime.identity_center
    found, missing = standing_assignments(feature.center, feature.records.made_by_gatehouse(),
                                          bot.runtime.config.permission_set_rules().values())
    assert missing == []
    assert [(s.request_name, s.key.user_id) for s in found] == [
        ("dev/admin", center.users[DEV2])]
    assert "permanently, outside Gatehouse" in found[0].words()


STANDING = "identity_center.standing_assignment"


def test_the_digest_lists_standing_assignments_by_account(bot, center):
    center.assign(DEV_ACCOUNT, DEV2)
    grant(bot, DEV, "request prod/admin 1h deploy")  # Gatehouse's own: not drift
    service = bot.runtime.digest.service
    digest = service.org.build(bot.clock())
    drift = [f for f in digest.findings if f.check_id == STANDING]
    assert [(f.scope, f.title) for f in drift] == [
        (DEV_ACCOUNT, "dev2 holds AdministratorAccess in dev permanently, outside Gatehouse")]
    assert center.users[DEV2] in drift[0].detail and "dev/admin" in drift[0].detail
    assert not [m for m in digest.missing if "IAM Identity Center" in m]


def test_unreadable_assignments_are_a_missing_source_and_resolve_nothing(bot, center):
    from services.digest import summary_of

    center.assign(DEV_ACCOUNT, DEV2)
    service = bot.runtime.digest.service
    first = service.org.build(bot.clock())
    service.store.set_message(service.store.save(first, trigger="test",
                                                 summary=summary_of(first)), "C0DIGEST", "1.0")

    bot.clock.advance(hours=1)
    service.org.extra.center.client_for = lambda name: _refusing(center.sso, name)
    second = service.org.build(bot.clock())
    dev = second.row("dev").digest
    assert any("IAM Identity Center" in m and "dev/admin" in m for m in dev.missing)
    assert not [f for f in dev.resolved if f.check_id == STANDING]
    assert [f.check_id for f in dev.unchecked if f.check_id == STANDING] == [STANDING]


def _refusing(sso, name: str):
    from botocore.exceptions import ClientError

    class Refusing:
        def __getattr__(self, attr):
            if attr == "get_paginator":
                def paginator(op):
                    raise ClientError({"Error": {"Code": "AccessDeniedException",
                                                 "Message": "not allowed"}}, op)
                return paginator
            return getattr(sso, attr)
    return Refusing() if name == "sso-admin" else sso


@pytest.mark.parametrize("cleanup", [True])
def test_the_daily_clean_up_deletes_untracked_gatehouse_assignments_only(bot, center):
    center.assign(DEV_ACCOUNT, DEV2)  # standing: never touched
    tracked = grant(bot, DEV, "request prod/admin 1h deploy")
    lost = grant(bot, DEV2, "request prod/admin 1h deploy")
    grant_id = bot.runtime.requests.get(lost).grant_id
    bot.runtime.requests.update_grant(grant_id, ended_at=bot.clock())  # ended, claim kept
    cleanup = bot.runtime.identity_center.cleanup
    assert cleanup.clean_up(bot.clock()) == 1  # DEV2's; DEV's live grant still needs its own
    bot.gh.sweep()
    assert not center.assigned(PROD, DEV2) and center.assigned(PROD, DEV)
    bot.runtime.requests.update_grant(bot.runtime.requests.get(tracked).grant_id,
                                      ended_at=bot.clock())
    assert cleanup.clean_up(bot.clock()) == 1
    bot.gh.sweep()
    assert not center.assigned(PROD, DEV)
    assert center.assigned(DEV_ACCOUNT, DEV2)
    assert bot.audit_actions().count("identity_center.cleanup") == 2
    assert cleanup.clean_up(bot.clock()) == 0  # nothing left to do


def test_the_clean_up_is_off_unless_configured(bot):
    assert bot.runtime.identity_center.cleanup is None
    names = [job.id for job in bot.runtime.scheduler.get_jobs()]
    assert "identity-center-cleanup" not in names


@pytest.mark.parametrize("cleanup", [True])
def test_the_clean_up_runs_daily_when_configured(bot):
    names = [job.id for job in bot.runtime.scheduler.get_jobs()]
    assert "identity-center-cleanup" in names
