"""Roles across accounts end to end: grants, revoke denies and their removal in the role's
own account, never on a same-named role in Gatehouse's account."""

from __future__ import annotations

import json

import pytest

from aws.accounts import AccountSessions
from aws.clients import AwsClients
from config import ConfigError, load_config, load_environment
from domain.accounts import Account
from tests.e2e.conftest import ACCOUNT, ADMIN, APPROVALS, DEV, LEAD, Clock, start_bot, stop_bot
from tests.e2e.test_account_checks import check, environment

PROD, STAGING = "111111111111", "222222222222"
MANAGE = "GatehouseManage"
READ = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]}]})


def accounts_config() -> dict:
    return {
        "timezone": "UTC", "admins": [ADMIN], "approvals_channel": APPROVALS,
        "accounts": {name: {"id": account_id,
                            "manage_role": f"arn:aws:iam::{account_id}:role/{MANAGE}"}
                     for name, account_id in (("prod", PROD), ("staging", STAGING))},
        "roles": {"readonly": {"arn": "arn:aws:iam::{account}:role/ReadOnly",
                               "accounts": ["prod", "staging"], "max_duration": "4h",
                               "approvers": [LEAD]}},
    }


def spokes() -> AccountSessions:
    hub = AwsClients.from_environment("us-east-1")
    return AccountSessions(hub, [Account(name, account_id, f"arn:aws:iam::{account_id}:role/"
                                         f"{MANAGE}") for name, account_id in
                                 (("prod", PROD), ("staging", STAGING))])


def policies(iam, role: str = "ReadOnly") -> list[str]:
    return iam.list_role_policies(RoleName=role)["PolicyNames"]


@pytest.fixture
def org(tmp_path, aws, slack, federation):
    """Gatehouse with prod and staging; ReadOnly exists in both and in Gatehouse's account."""
    sessions = spokes()
    for account_id in (PROD, STAGING):
        sessions.clients(account_id).iam().create_role(
            RoleName="ReadOnly", AssumeRolePolicyDocument=TRUST, MaxSessionDuration=43200)
    aws.client("iam").create_role(RoleName="ReadOnly", AssumeRolePolicyDocument=TRUST)
    aws.client("iam").put_role_policy(RoleName="ReadOnly", PolicyName="own-policy",
                                      PolicyDocument=json.dumps({"Version": "2012-10-17",
                                                                 "Statement": [READ]}))
    harness = start_bot(tmp_path, aws, slack, federation, accounts_config(), Clock())
    harness.extra["spokes"] = sessions
    yield harness
    stop_bot(harness)


def grant(gh, role: str) -> int:
    number = gh.file(DEV, f"request {role} 1h look at the incident")
    gh.client.click(LEAD, "approve", str(number), message=gh.request_message(number))
    gh.idle()
    gh.wait_status(number, "active")
    return number


def test_a_revoke_denies_the_role_in_its_own_account_and_nowhere_else(org):
    gh, sessions = org, org.extra["spokes"]
    assert sorted(gh.runtime.config.roles) == ["prod/readonly", "staging/readonly"]
    number = grant(gh, "staging/readonly")
    grant_row = gh.runtime.requests.grant(gh.runtime.requests.get(number).grant_id)
    assert grant_row.role_arn == f"arn:aws:iam::{STAGING}:role/ReadOnly"

    gh.clock.advance(minutes=5)
    gh.command(DEV, f"revoke R-{number}")
    gh.answer(DEV, "revoked")
    staging, prod = sessions.clients(STAGING).iam(), sessions.clients(PROD).iam()
    assert [p for p in policies(staging) if p.startswith("gatehouse-revoke-")]
    assert policies(prod) == []
    assert policies(gh.iam) == ["own-policy"]  # Gatehouse's same-named role is untouched

    gh.clock.advance(hours=12, minutes=1)
    gh.gh.sweep()
    assert policies(staging) == [] and policies(gh.iam) == ["own-policy"]
    assert "grant.deny_removed" in gh.audit_actions()


def test_a_grant_expires_and_the_account_is_in_the_audit(org):
    gh = org
    number = grant(gh, "prod/readonly")
    gh.command(DEV, "list")
    assert "prod/readonly" in gh.answer(DEV, f"R-{number}")
    gh.command(DEV, "who-can staging/readonly")
    assert "Who approves: U0LEAD" in gh.answer(DEV, "staging/readonly")
    gh.command(ADMIN, "audit prod/readonly")
    assert f"\"account\": \"{PROD}\"" in gh.answer(ADMIN, "grant.activated")
    gh.clock.advance(hours=1)
    gh.gh.sweep()
    assert gh.status(number) == "expired"
    activated = [e for e in gh.runtime.audit.entries() if e.action == "grant.activated"]
    assert activated[-1].details.get("account") == PROD


def test_a_revoke_whose_deny_cannot_be_put_is_not_reported_done(org):
    gh, sessions = org, org.extra["spokes"]
    number = grant(gh, "staging/readonly")
    gh.runtime.accounts.set_accounts([a for a in gh.runtime.accounts.accounts()
                                      if a.id != STAGING])  # its manage role is gone
    gh.command(DEV, f"revoke R-{number}")
    gh.idle()
    assert policies(sessions.clients(STAGING).iam()) == []
    assert policies(gh.iam) == ["own-policy"]
    gh.answer(DEV, "the revoke is NOT complete")
    assert "has no manage role" in " ".join(m.text or "" for m in gh.dms(DEV))
    assert "grant.deny_attached" not in gh.audit_actions()


def test_a_role_in_an_account_without_a_manage_role_is_refused_at_start(tmp_path):
    config = accounts_config()
    config["roles"]["ops"] = {"arn": "arn:aws:iam::333333333333:role/Ops", "max_duration": "1h"}
    path = tmp_path / "gatehouse.yml"
    path.write_text(json.dumps(config))
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert error.value.problems == [
        "roles.ops.arn: account 333333333333 has no manage role; add it under accounts:"]
    assert load_environment({"GATEHOUSE_CONFIG": str(path)}).config_path == str(path)


def test_check_config_online_names_each_broken_account(tmp_path, aws, slack, federation,
                                                       capsys, monkeypatch):
    sessions = spokes()
    prod = sessions.clients(PROD).iam()  # prod is set up; staging has no manage role at all
    prod.create_role(RoleName=MANAGE, AssumeRolePolicyDocument=TRUST)
    prod.create_role(RoleName="ReadOnly", AssumeRolePolicyDocument=TRUST,
                     MaxSessionDuration=3600)
    config = accounts_config()
    config["roles"]["readonly"]["max_duration"] = "2h"
    env = environment(tmp_path, slack, federation, config)
    code, lines = check(env, capsys, monkeypatch)
    assert code == 1
    staging = [line for line in lines if line.startswith(f"accounts.staging ({STAGING}): ")]
    assert len(staging) == 1 and "GetRole" in staging[0] and "NoSuchEntity" in staging[0]
    assert any(line.startswith("roles.prod/readonly.max_duration: ") and "prod" in line
               for line in lines)
    assert any(line.startswith("roles.prod/readonly.arn: ") and "boundary" in line
               for line in lines)
    assert not any("staging/readonly" in line for line in lines)  # its account is named once
