"""The authorization checks (admins, direct policies, roles, trust) on hand-built snapshots."""

from __future__ import annotations

import pytest

from domain.hygiene import (
    AttachedPolicy,
    AuthorizationDetails,
    IamGroup,
    InlinePolicy,
    ManagedPolicy,
    Severity,
    Thresholds,
)
from tests.unit.hygiene_builders import (
    ACCOUNT,
    ADMIN_DOC,
    AWS_ADMIN,
    READ_DOC,
    admins_authorization,
    check,
    days_ago,
    role,
    snapshot,
    user,
)

# Policies and admins


def test_policies_attached_directly_to_users():
    authorization = AuthorizationDetails(users=(
        user("managed", attached_policies=(AttachedPolicy("Read", "arn:p/Read"),)),
        user("inline", inline_policies=(InlinePolicy("mine", READ_DOC),)),
        user("grouped", groups=("devs",)),
    ))
    findings = check(snapshot(authorization=authorization), "user.direct_policy")
    assert sorted(f.iam_user_name for f in findings) == ["inline", "managed"]


def test_full_admins_directly_and_through_groups():
    custom = ManagedPolicy("Everything", f"arn:aws:iam::{ACCOUNT}:policy/Everything", "v3",
                           {"Statement": {"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}})
    authorization = AuthorizationDetails(
        users=(user("direct", attached_policies=(AWS_ADMIN,)),
               user("inline", inline_policies=(InlinePolicy("god", ADMIN_DOC),)),
               user("grouped", groups=("ops",)), user("reader", groups=("readers",))),
        groups=(IamGroup("ops", "arn:g/ops", (AttachedPolicy(custom.name, custom.arn),)),
                IamGroup("readers", "arn:g/readers", (), (InlinePolicy("r", READ_DOC),))),
        policies=(custom,),
    )
    findings = {f.iam_user_name: f for f in check(snapshot(authorization=authorization),
                                                  "iam.full_admin")}
    assert set(findings) == {"direct", "inline", "grouped"}
    assert findings["direct"].severity is Severity.HIGH
    assert findings["grouped"].severity is Severity.MEDIUM
    assert "via group ops" in findings["grouped"].detail


def test_deny_and_narrow_statements_are_not_admin():
    deny = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    narrow = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"}]}
    authorization = AuthorizationDetails(users=(
        user("a", inline_policies=(InlinePolicy("d", deny), InlinePolicy("n", narrow))),))
    assert check(snapshot(authorization=authorization), "iam.full_admin") == []


@pytest.mark.parametrize(("admins", "check_id"), [(1, "iam.too_few_admins"),
                                                  (6, "iam.too_many_admins")])
def test_admin_count_outside_the_range(admins, check_id):
    snap = snapshot(authorization=admins_authorization(admins))
    [finding] = check(snap, check_id)
    assert finding.principals[0].kind == "account"


def test_admin_count_inside_the_range():
    snap = snapshot(authorization=admins_authorization(3))
    assert check(snap, "iam.too_few_admins") == check(snap, "iam.too_many_admins") == []
    assert check(snap, "iam.too_many_admins", Thresholds(max_admins=2))


# Roles


def test_unused_roles_excluding_service_linked():
    authorization = AuthorizationDetails(roles=(
        role("idle", last_used=days_ago(200)),
        role("never", last_used=None, created=days_ago(100)),
        role("young", last_used=None, created=days_ago(5)),
        role("busy", last_used=days_ago(1)),
        role("AWSServiceRoleForSupport", path="/aws-service-role/support.amazonaws.com/",
             last_used=None),
    ))
    findings = check(snapshot(authorization=authorization), "role.unused")
    assert sorted(f.principals[0].name for f in findings) == ["idle", "never"]


def test_role_sessions_longer_than_the_longest_grant():
    long, short = role("long", max_session_duration=43200), role("short")
    snap = snapshot(authorization=AuthorizationDetails(roles=(long, short, role("other"))))
    limits = {long.arn: 4 * 3600, short.arn: 3600}
    [finding] = check(snap, "role.session_too_long", role_grant_limits=limits)
    assert finding.principals[0].name == "long" and "14400" in finding.remediation
    assert check(snap, "role.session_too_long") == []


def test_a_grant_under_an_hour_does_not_flag_a_role_at_the_aws_minimum():
    at_minimum = role("minimum", max_session_duration=3600)
    above = role("above", max_session_duration=7200)
    snap = snapshot(authorization=AuthorizationDetails(roles=(at_minimum, above)))
    limits = {at_minimum.arn: 1800, above.arn: 1800}
    [finding] = check(snap, "role.session_too_long", role_grant_limits=limits)
    assert finding.principals[0].name == "above" and "3600" in finding.remediation


@pytest.mark.parametrize(("principal", "condition", "open_to_all"), [
    ("*", None, True),
    ({"AWS": "*"}, None, True),
    ({"AWS": ["arn:aws:iam::111122223333:root", "*"]}, None, True),
    ({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}, False),
    ({"AWS": "arn:aws:iam::111122223333:root"}, None, False),
    ({"Service": "ec2.amazonaws.com"}, None, False),
])
def test_trust_policies_that_allow_anyone(principal, condition, open_to_all):
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": principal}
    if condition:
        statement["Condition"] = condition
    snap = snapshot(authorization=AuthorizationDetails(
        roles=(role("r", {"Statement": [statement]}),)))
    assert bool(check(snap, "role.trust_any_principal")) is open_to_all
