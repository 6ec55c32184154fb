"""The sandbox's demo: Slack users, a config, and an emulated AWS account with hygiene problems."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from domain.durations import parse_duration

ACCOUNT = "123456789012"  # moto's default account
TAG = "slack-user-id"
GENERAL, APPROVALS, HYGIENE = "C0GENERAL", "C0APPROVALS", "C0HYGIENE"
CHANNEL_NAMES = {GENERAL: "general", APPROVALS: "approvals", HYGIENE: "hygiene"}


@dataclass(frozen=True)
class DemoUser:
    id: str
    name: str
    real_name: str
    part: str  # their job in the demo
    does: str  # what they can do with Gatehouse
    email: str


ENGINEER = DemoUser("U0ENGINEER", "erin", "Erin Engineer", "engineer", "asks for access",
                    "erin@example.com")
LEAD = DemoUser("U0LEAD", "lee", "Lee Lead", "lead", "approves requests", "lee@example.com")
ADMIN = DemoUser("U0ADMIN", "ada", "Ada Admin", "admin",
                 "approves anything, runs the digest", "ada@example.com")
DEMO_USERS = (ENGINEER, LEAD, ADMIN)

ROLES: dict[str, dict[str, Any]] = {
    "prod-readonly": {"role": "ProdReadOnly", "description": "Read-only access to production; "
                      "one approval from Lee", "max_duration": "4h", "approvers": [LEAD.id]},
    "prod-admin": {"role": "ProdAdmin", "description": "Admin on production; Lee and Ada "
                   "must both approve", "max_duration": "2h", "approvers": [LEAD.id],
                   "approvals_required": 2},
    "sandbox": {"role": "SandboxDeveloper", "description": "Sandbox account; granted at once",
                "max_duration": "1h", "auto_approve": True},
    "billing": {"role": "BillingReader", "description": "Billing reports; office hours only "
                "(09:00-17:00 UTC)", "max_duration": "4h", "approvers": [LEAD.id],
                "conditions": {"hours": "09:00-17:00"}},
}
# The emulated organisation: Gatehouse's own account (main) and three more, each managed
# through a GatehouseManage role; `readonly` exists in prod, staging and dev.
MANAGE_ROLE = "GatehouseManage"
ORG_ACCOUNTS = {"main": ACCOUNT, "prod": "111111111111", "staging": "222222222222",
                "dev": "333333333333"}
ACROSS_ACCOUNTS: dict[str, dict[str, Any]] = {
    "readonly": {"arn": "arn:aws:iam::{account}:role/ReadOnly",
                 "accounts": ["prod", "staging", "dev"],
                 "description": "Read-only in the prod, staging or dev account; one approval "
                 "from Lee", "max_duration": "4h", "approvers": [LEAD.id]},
}
LEADS = "S0LEADS"  # a Slack user group of approvers: Lee and Ada
ON_CALL_SCHEDULE = "PSANDBOX1"  # the local PagerDuty stand-in says Erin is on call in it
ROLES.update({
    "deploy": {"role": "ProdDeployer", "description": "Deploys to production; needs a ticket "
               "(CHG-1); approved by @leads", "max_duration": "2h", "approvers": [LEADS],
               "require_ticket": "CHG-[0-9]+",
               "ticket_url": "https://tickets.example.com/browse/{ticket}"},
    "oncall": {"role": "OnCallResponder", "description": "Production triage; approved at once "
               "while you are on call in PagerDuty", "max_duration": "4h",
               "approvers": [LEAD.id], "auto_approve": {"on_call": [ON_CALL_SCHEDULE]}},
    "incident": {"role": "IncidentAdmin", "description": "Admin in an emergency; Ada may break "
                 "the glass, @leads review", "max_duration": "1h", "approvers": [LEADS],
                 "break_glass": {"allowed": [ADMIN.id], "max_duration": "1h",
                                 "max_per_week": 2}},
})
READ_ONLY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "ec2:Describe*"], "Resource": "*"}]}
EVERYTHING = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def demo_config() -> dict[str, Any]:
    """The gatehouse.yml the sandbox runs with."""
    roles = {}
    for name, spec in ROLES.items():
        role = {k: v for k, v in spec.items() if k != "role"}
        roles[name] = {"arn": f"arn:aws:iam::{ACCOUNT}:role/{spec['role']}", **role}
    roles.update(ACROSS_ACCOUNTS)
    return {
        "timezone": "UTC", "admins": [ADMIN.id], "approvals_channel": APPROVALS,
        "identity": {"iam_user_tag": TAG}, "roles": roles, "accounts": demo_accounts(),
        "keys": {"grace_period": "24h", "delete_after": "7d", "requires_approval": False},
        "requests": {"pending_expiry": "4h", "remind_after": "30m", "warn_before_expiry": "15m"},
        "digest": {"channel": HYGIENE, "at": "09:00", "unused_after_days": 90,
                   "key_max_age_days": 90, "min_admins": 2},
    }


def demo_accounts() -> dict[str, Any]:
    """The `accounts:` of the demo config: every account with its manage role."""
    return {name: {"id": account_id,
                   "manage_role": f"arn:aws:iam::{account_id}:role/{MANAGE_ROLE}"}
            for name, account_id in ORG_ACCOUNTS.items()}


def seed_accounts(sts: Any, iam_in: Any) -> None:
    """Each account's manage role, and ReadOnly in the accounts `readonly` spans.

    `iam_in(credentials)` is an IAM client acting with credentials STS returned: the emulator
    keeps accounts apart by the account of the role assumed.
    """
    hub_trust = _trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    for name, account_id in ORG_ACCOUNTS.items():
        answer = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{MANAGE_ROLE}",
                                 RoleSessionName="sandbox-seed")["Credentials"]
        iam = iam_in(answer)
        iam.create_role(RoleName=MANAGE_ROLE, AssumeRolePolicyDocument=hub_trust)
        if name in ACROSS_ACCOUNTS["readonly"]["accounts"]:
            iam.create_role(RoleName="ReadOnly", AssumeRolePolicyDocument=hub_trust,
                            MaxSessionDuration=4 * 3600,
                            Description=f"Read-only in the {name} account")


def seed_slack(workspace: Any) -> None:
    """Register the demo people in the fake Slack workspace."""
    for user in DEMO_USERS:
        workspace.add_user(user.id, user.name, email=user.email, real_name=user.real_name)
    workspace.add_usergroup(LEADS, [LEAD.id, ADMIN.id], handle="leads", name="Leads")


def seed_pagerduty(pagerduty: Any) -> None:
    """The PagerDuty stand-in: Erin is on call now in the sandbox's schedule."""
    pagerduty.add_user("PERIN", ENGINEER.real_name, ENGINEER.email)
    pagerduty.add_schedule(ON_CALL_SCHEDULE, "Sandbox primary")
    pagerduty.put_on_call(ON_CALL_SCHEDULE, "PERIN")


def seed_aws(iam: Any) -> None:
    """Roles for every kind of rule, and IAM users with what the hygiene digest looks for."""
    policies = {name: iam.create_policy(PolicyName=f"Demo{name}",
                                        PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
                for name, doc in (("ReadOnly", READ_ONLY), ("Everything", EVERYTHING))}
    _seed_roles(iam, policies)
    _seed_people(iam, policies["Everything"])
    iam.update_account_password_policy(MinimumPasswordLength=6, RequireSymbols=False,
                                       RequireNumbers=False, RequireUppercaseCharacters=False,
                                       RequireLowercaseCharacters=False,
                                       AllowUsersToChangePassword=True)


def _trust(principal: Any) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": principal,
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]}]})


def _seed_roles(iam: Any, policies: dict[str, str]) -> None:
    account = _trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    for spec in ROLES.values():
        # As long as the longest grant and no longer, as the digest recommends.
        iam.create_role(RoleName=spec["role"], AssumeRolePolicyDocument=account,
                        MaxSessionDuration=max(3600, parse_duration(spec["max_duration"])),
                        Description=spec["description"])
        policy = policies["Everything" if spec["role"] == "ProdAdmin" else "ReadOnly"]
        iam.attach_role_policy(RoleName=spec["role"], PolicyArn=policy)
    # Not in the config, trusted by anyone, never used: the digest should say so.
    iam.create_role(RoleName="LegacyCi", AssumeRolePolicyDocument=_trust("*"),
                    MaxSessionDuration=43200)


def _seed_people(iam: Any, everything: str) -> None:
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn=everything)
    for user in DEMO_USERS:
        iam.create_user(UserName=user.name, Tags=[{"Key": TAG, "Value": user.id}])
    iam.create_access_key(UserName=ENGINEER.name)  # what `/access rotate-key` rotates
    for user in (LEAD, ADMIN):
        iam.create_login_profile(UserName=user.name, Password="Demo-Passw0rd!")
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=user.name)
        iam.enable_mfa_device(UserName=user.name,
                              SerialNumber=serial["VirtualMFADevice"]["SerialNumber"],
                              AuthenticationCode1="123456", AuthenticationCode2="654321")
    iam.add_user_to_group(GroupName="admins", UserName=ADMIN.name)
    iam.create_user(UserName="ops-legacy")  # console password, no MFA
    iam.create_login_profile(UserName="ops-legacy", Password="summer1")
    iam.create_user(UserName="ci-deploy")  # two active keys
    iam.create_access_key(UserName="ci-deploy")
    iam.create_access_key(UserName="ci-deploy")
    iam.create_user(UserName="old-admin")  # full admin attached directly, stale key
    iam.attach_user_policy(UserName="old-admin", PolicyArn=everything)
    iam.create_access_key(UserName="old-admin")


# Ages written into moto's in-process backend: (user, key index) -> (created, last used) days ago.
KEY_AGES: dict[tuple[str, int], tuple[int, int | None]] = {
    (ENGINEER.name, 0): (120, 1),
    ("ci-deploy", 0): (400, 200),
    ("ci-deploy", 1): (20, 1),
    ("old-admin", 0): (300, None),
}
USER_AGES = {"old-admin": 320, "ops-legacy": 200, "ci-deploy": 410, ENGINEER.name: 130}


def age_credentials(now: datetime | None = None) -> None:
    """Backdate keys and users in moto's backend: its API cannot make old credentials."""
    from moto.iam.models import AccessKeyLastUsed, iam_backends

    now = (now or datetime.now(timezone.utc)).replace(tzinfo=None)  # moto keeps naive UTC
    backend = iam_backends[ACCOUNT]["aws"]
    for name, days in USER_AGES.items():
        backend.users[name].create_date = now - timedelta(days=days)
    for (name, index), (created, used) in KEY_AGES.items():
        key = backend.users[name].access_keys[index]
        key.create_date = now - timedelta(days=created)
        if used is not None:
            key.last_used = AccessKeyLastUsed(now - timedelta(days=used), "s3", "us-east-1")
