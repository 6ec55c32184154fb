"""Admins (users and roles), admins without MFA, hardware MFA, root keys, sensitive and
unattached policies, unused permissions: on hand-built snapshots."""

from __future__ import annotations

from domain.hygiene import (
    AttachedPolicy,
    AuthorizationDetails,
    InlinePolicy,
    ManagedPolicy,
    ServiceLastAccess,
    ServiceUse,
    Severity,
    Thresholds,
)
from domain.hygiene.last_accessed import broad_principal_arns
from tests.unit.hygiene_builders import (
    ACCOUNT,
    ADMIN_DOC,
    AWS_ADMIN,
    READ_DOC,
    check,
    days_ago,
    report_row,
    role,
    root_row,
    snapshot,
    user,
)

ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"


def test_roles_count_as_admins_with_who_can_assume_them():
    admin_role = role("ops-admin", attached_policies=(AWS_ADMIN,))
    inline_role = role("god", inline_policies=(InlinePolicy("all", ADMIN_DOC),))
    reader = role("reader", inline_policies=(InlinePolicy("r", READ_DOC),))
    authorization = AuthorizationDetails(users=(user("a", attached_policies=(AWS_ADMIN,)),),
                                         roles=(admin_role, inline_role, reader))
    snap = snapshot(authorization=authorization)
    found = {f.principals[0].name: f for f in check(snap, "iam.full_admin")}
    assert set(found) == {"a", "ops-admin", "god"}
    assert found["ops-admin"].principals[0].kind == "role"
    assert f"Who can assume it: AWS {ROOT_ARN}" in found["ops-admin"].detail
    assert found["ops-admin"].iam_user_name is None
    [count] = check(snap, "iam.too_many_admins", Thresholds(min_admins=1, max_admins=2))
    assert "god (role)" in count.detail and "ops-admin (role)" in count.detail


def test_a_permissions_boundary_that_does_not_allow_everything_stops_a_role_being_admin():
    narrow = ManagedPolicy("Narrow", f"arn:aws:iam::{ACCOUNT}:policy/Narrow", "v1", READ_DOC)
    wide = ManagedPolicy("Wide", f"arn:aws:iam::{ACCOUNT}:policy/Wide", "v1", ADMIN_DOC)
    roles = (role("bounded", attached_policies=(AWS_ADMIN,), permissions_boundary=narrow.arn),
             role("open-bound", attached_policies=(AWS_ADMIN,), permissions_boundary=wide.arn),
             role("unknown-bound", attached_policies=(AWS_ADMIN,),
                  permissions_boundary="arn:aws:iam::aws:policy/Unknown"))
    snap = snapshot(authorization=AuthorizationDetails(roles=roles, policies=(narrow, wide)))
    found = {f.principals[0].name: f for f in check(snap, "iam.full_admin")}
    assert set(found) == {"open-bound", "unknown-bound"}
    assert "not readable" in found["unknown-bound"].detail


def test_admins_without_mfa_by_policy_not_by_name():
    authorization = AuthorizationDetails(users=(
        user("boss", attached_policies=(AWS_ADMIN,)), user("keyed", attached_policies=(AWS_ADMIN,)),
        user("safe", attached_policies=(AWS_ADMIN,)), user("idle", attached_policies=(AWS_ADMIN,)),
        user("admin-by-name"),
    ))
    rows = [report_row("boss", password_enabled=True, mfa_active=False),
            report_row("keyed", mfa_active=False, access_key_1_active=True,
                       access_key_1_last_rotated=days_ago(1)),
            report_row("safe", password_enabled=True, mfa_active=True),
            report_row("idle", mfa_active=False),
            report_row("admin-by-name", password_enabled=True, mfa_active=False)]
    findings = check(snapshot(rows, authorization=authorization), "iam.admin_without_mfa")
    assert sorted(f.iam_user_name for f in findings) == ["boss", "keyed"]
    assert all(f.severity is Severity.CRITICAL for f in findings)
    assert "active access key 1" in next(f for f in findings if f.iam_user_name == "keyed").detail


def test_hardware_mfa_for_root_and_admins_only_when_the_config_asks():
    authorization = AuthorizationDetails(users=(user("boss", attached_policies=(AWS_ADMIN,)),
                                                user("dev")))
    virtual = frozenset({ROOT_ARN, f"arn:aws:iam::{ACCOUNT}:user/boss",
                         f"arn:aws:iam::{ACCOUNT}:user/dev"})
    snap = snapshot(authorization=authorization, virtual_mfa_arns=virtual)
    assert check(snap, "iam.virtual_mfa") == []
    strict = Thresholds(require_hardware_mfa=True)
    assert sorted(f.principals[0].name for f in check(snap, "iam.virtual_mfa", strict)) == [
        "boss", "root"]
    unread = snapshot(authorization=authorization)
    assert check(unread, "iam.virtual_mfa", strict) == []


def test_root_keys_are_judged_for_age_and_use():
    old_used = root_row(access_key_1_active=True, access_key_1_last_rotated=days_ago(200),
                        access_key_1_last_used_date=days_ago(2))
    [old] = check(snapshot([old_used]), "root.access_key_too_old")
    assert old.title == "Root user's access key 1 is 200 days old"
    assert check(snapshot([old_used]), "root.unused_access_key") == []
    idle = root_row(access_key_2_active=True, access_key_2_last_rotated=days_ago(30),
                    access_key_2_last_used_date=None)
    assert check(snapshot([idle]), "root.access_key_too_old") == []
    assert check(snapshot([idle]), "root.unused_access_key") == []
    stale = root_row(access_key_2_active=True, access_key_2_last_rotated=days_ago(95))
    [unused] = check(snapshot([stale]), "root.unused_access_key")
    assert unused.subject == "access_key_2" and "never used" in unused.detail
    inactive = root_row(access_key_1_active=False, access_key_1_last_rotated=days_ago(400))
    assert check(snapshot([inactive]), "root.access_key_too_old") == []


def test_titles_name_keys_in_words():
    row = report_row("build-bot", access_key_1_active=True, access_key_1_last_rotated=days_ago(200),
                     access_key_1_last_used_date=days_ago(1))
    [finding] = check(snapshot([row]), "user.access_key_too_old")
    assert finding.title == "build-bot: access key 1 is 200 days old"
    assert finding.subject == "access_key_1"


def test_full_access_to_sensitive_services():
    kms_all = {"Statement": [{"Effect": "Allow", "Action": ["KMS:*"], "Resource": "*"}]}
    trail_scoped = {"Statement": [{"Effect": "Allow", "Action": "cloudtrail:*",
                                   "Resource": "arn:aws:cloudtrail:::trail/x"}]}
    trail_all = {"Statement": {"Effect": "Allow", "Action": "cloudtrail:*", "Resource": ["*"]}}
    kms_read = {"Statement": [{"Effect": "Allow", "Action": "kms:Describe*", "Resource": "*"}]}
    policies = (ManagedPolicy("Keys", f"arn:aws:iam::{ACCOUNT}:policy/Keys", "v1", kms_all),
                ManagedPolicy("Aws", "arn:aws:iam::aws:policy/AWSKeyManagementServicePowerUser",
                              "v1", kms_all),
                ManagedPolicy("Scoped", f"arn:aws:iam::{ACCOUNT}:policy/Scoped", "v1",
                              trail_scoped))
    authorization = AuthorizationDetails(
        users=(user("a", inline_policies=(InlinePolicy("t", trail_all),
                                          InlinePolicy("r", kms_read))),),
        policies=policies)
    findings = check(snapshot(authorization=authorization), "policy.full_service_access")
    assert sorted(f.title for f in findings) == [
        "Inline policy t of user a allows every cloudtrail action",
        "Managed policy Keys allows every kms action"]


def test_unattached_customer_admin_policies():
    policies = (
        ManagedPolicy("Old", f"arn:aws:iam::{ACCOUNT}:policy/Old", "v1", ADMIN_DOC, 0),
        ManagedPolicy("Used", f"arn:aws:iam::{ACCOUNT}:policy/Used", "v1", ADMIN_DOC, 2),
        ManagedPolicy("Narrow", f"arn:aws:iam::{ACCOUNT}:policy/Narrow", "v1", READ_DOC, 0),
        ManagedPolicy("AdministratorAccess", AWS_ADMIN.arn, "v1", ADMIN_DOC, 0),
        ManagedPolicy("Unknown", f"arn:aws:iam::{ACCOUNT}:policy/Unknown", "v1", ADMIN_DOC),
    )
    snap = snapshot(authorization=AuthorizationDetails(policies=policies))
    [finding] = check(snap, "policy.unattached_admin")
    assert finding.principals[0].name == "Old" and "delete-policy" in finding.remediation


def test_broad_principals_are_admins_and_service_wide_grants_only():
    wide = {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    authorization = AuthorizationDetails(
        users=(user("admin", attached_policies=(AWS_ADMIN,)),
               user("wide", inline_policies=(InlinePolicy("w", wide),)),
               user("reader", inline_policies=(InlinePolicy("r", READ_DOC),)),
               user("plain")),
        roles=(role("wide-role", inline_policies=(InlinePolicy("w", wide),)),))
    assert sorted(arn.rsplit("/", 1)[1] for arn in broad_principal_arns(authorization)) == [
        "admin", "wide", "wide-role"]


def test_unused_permissions_from_last_accessed_data():
    authorization = AuthorizationDetails(
        users=(user("admin", attached_policies=(AWS_ADMIN,)), user("young", created=days_ago(10)),
               user("busy")),
        roles=(role("app"),))
    used, cutoff = days_ago(3), days_ago(91)
    data = (
        ServiceLastAccess(authorization.users[0].arn, (
            ServiceUse("s3", used), ServiceUse("ec2", None), ServiceUse("kms", cutoff))),
        ServiceLastAccess(authorization.users[1].arn, (ServiceUse("ec2", None),)),
        ServiceLastAccess(authorization.users[2].arn, (ServiceUse("s3", used),)),
        ServiceLastAccess(authorization.roles[0].arn, (ServiceUse("sqs", None),)),
        ServiceLastAccess("arn:aws:iam::1:user/gone", (ServiceUse("sqs", None),)),
    )
    snap = snapshot(authorization=authorization, last_accessed=data)
    found = {f.principals[0].name: f for f in check(snap, "iam.unused_permissions")}
    assert set(found) == {"admin", "app"}
    assert found["admin"].title == "admin could drop: ec2, kms"
    assert found["admin"].severity is Severity.MEDIUM and found["app"].severity is Severity.LOW
    assert check(snapshot(authorization=authorization), "iam.unused_permissions") == []


def test_unused_permissions_list_is_shortened_in_the_title():
    authorization = AuthorizationDetails(users=(user("admin", attached_policies=(AWS_ADMIN,)),))
    services = tuple(ServiceUse(f"svc{n:02d}", None) for n in range(12))
    snap = snapshot(authorization=authorization, last_accessed=(
        ServiceLastAccess(authorization.users[0].arn, services),))
    [finding] = check(snap, "iam.unused_permissions")
    assert finding.title.endswith(", …") and "svc11" in finding.detail


def test_direct_managed_policy_still_flagged_for_admin_users():
    authorization = AuthorizationDetails(users=(user("a", attached_policies=(
        AttachedPolicy("P", f"arn:aws:iam::{ACCOUNT}:policy/P"),)),))
    assert check(snapshot(authorization=authorization), "user.direct_policy")
