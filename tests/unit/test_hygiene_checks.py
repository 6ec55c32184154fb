"""The credential report and password policy checks on hand-built snapshots, with no AWS."""

from __future__ import annotations

import ast
import pathlib
from dataclasses import replace
from datetime import timedelta

import pytest

from domain.hygiene import (
    AccountSnapshot,
    AccountSummary,
    AuthorizationDetails,
    PasswordPolicy,
    Severity,
    Thresholds,
    run_checks,
)
from tests.unit.hygiene_builders import (
    ACCOUNT,
    NOW,
    admins_authorization,
    check,
    days_ago,
    report_row,
    root_row,
    snapshot,
    user,
)

# Root user


def test_root_without_mfa_is_critical_from_the_credential_report():
    [finding] = check(snapshot([root_row(mfa_active=False)]), "root.mfa_disabled")
    assert finding.severity is Severity.CRITICAL
    assert finding.principals[0].arn == f"arn:aws:iam::{ACCOUNT}:root"
    assert check(snapshot([root_row(mfa_active=True)]), "root.mfa_disabled") == []


def test_root_checks_fall_back_to_the_account_summary_without_a_root_row():
    summary = AccountSummary({"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 1})
    snap = snapshot([report_row()], summary=summary)
    assert check(snap, "root.mfa_disabled") and check(snap, "root.access_keys")
    healthy = snapshot(summary=AccountSummary({"AccountMFAEnabled": 1}))
    assert check(healthy, "root.mfa_disabled") == check(healthy, "root.access_keys") == []


def test_root_access_keys_from_either_slot():
    assert check(snapshot([root_row(access_key_2_active=True)]), "root.access_keys")
    assert check(snapshot([root_row()]), "root.access_keys") == []


def test_root_used_in_the_last_day():
    used = root_row(password_last_used=NOW - timedelta(hours=3),
                    access_key_1_last_used_date=days_ago(5))
    [finding] = check(snapshot([used]), "root.recent_use")
    assert "password" in finding.detail and "access_key_1" not in finding.detail
    assert check(snapshot([root_row(password_last_used=days_ago(2))]), "root.recent_use") == []


# Password policy

STRONG_POLICY = PasswordPolicy(
    minimum_length=14, require_symbols=True, require_numbers=True, require_uppercase=True,
    require_lowercase=True, allow_users_to_change=True, expire_passwords=True,
    max_age_days=90, reuse_prevention=24, hard_expiry=False,
)


def test_no_password_policy_means_aws_defaults():
    snap = snapshot(password_policy=None, password_policy_read=True)
    [finding] = check(snap, "password_policy.missing")
    assert "update-account-password-policy" in finding.remediation
    assert check(snapshot(password_policy_read=False), "password_policy.missing") == []


def test_strong_password_policy_has_no_gaps():
    assert check(snapshot(password_policy=STRONG_POLICY, password_policy_read=True),
                 "password_policy.weak") == []


def test_each_weak_password_setting_is_its_own_finding():
    weak = replace(STRONG_POLICY, minimum_length=8, require_symbols=False,
                   expire_passwords=False, max_age_days=None, reuse_prevention=None)
    findings = check(snapshot(password_policy=weak, password_policy_read=True),
                     "password_policy.weak")
    assert {f.subject for f in findings} == {"min_length", "require_symbols", "max_age",
                                             "reuse_prevention"}
    assert len({f.key for f in findings}) == 4


def test_password_baseline_is_configurable():
    lenient = Thresholds(password_min_length=8, password_hard_expiry=True,
                         password_max_age_days=365)
    policy = replace(STRONG_POLICY, minimum_length=8, max_age_days=180)
    findings = check(snapshot(password_policy=policy, password_policy_read=True),
                     "password_policy.weak", lenient)
    assert [f.subject for f in findings] == ["hard_expiry"]


def test_hard_expiry_with_too_few_admins_warns_of_lockout():
    policy = replace(STRONG_POLICY, hard_expiry=True)
    lonely = snapshot(authorization=admins_authorization(1), password_policy=policy,
                      password_policy_read=True)
    [finding] = check(lonely, "password_policy.hard_expiry_lockout")
    assert finding.severity is Severity.HIGH
    enough = replace(lonely, authorization=admins_authorization(2))
    assert check(enough, "password_policy.hard_expiry_lockout") == []
    soft = replace(lonely, password_policy=STRONG_POLICY)
    assert check(soft, "password_policy.hard_expiry_lockout") == []


# Users: MFA, unused credentials, key age


def test_console_users_without_mfa():
    rows = [report_row("alice", password_enabled=True, mfa_active=False),
            report_row("bob", password_enabled=True, mfa_active=True),
            report_row("svc", password_enabled=False, mfa_active=False)]
    [finding] = check(snapshot(rows), "user.console_without_mfa")
    assert finding.iam_user_name == "alice" and finding.severity is Severity.HIGH


def test_unused_password_by_last_use():
    rows = [report_row("old", password_enabled=True, password_last_used=days_ago(120)),
            report_row("fresh", password_enabled=True, password_last_used=days_ago(3))]
    [finding] = check(snapshot(rows), "user.unused_credential")
    assert finding.iam_user_name == "old" and finding.subject == "password"
    assert "120 days ago" in finding.detail


def test_never_used_credentials_are_measured_from_creation():
    rows = [
        report_row("stale", password_enabled=True, password_last_changed=days_ago(100),
                   access_key_1_active=True, access_key_1_last_rotated=days_ago(95)),
        report_row("new", user_creation_time=days_ago(10), password_enabled=True,
                   access_key_1_active=True, access_key_1_last_rotated=days_ago(10)),
    ]
    findings = check(snapshot(rows), "user.unused_credential")
    assert {(f.iam_user_name, f.subject) for f in findings} == {
        ("stale", "password"), ("stale", "access_key_1")}
    assert all("never used" in f.detail for f in findings)


def test_password_never_changed_counts_from_user_creation():
    row = report_row(password_enabled=True, user_creation_time=days_ago(91))
    assert check(snapshot([row]), "user.unused_credential")


def test_inactive_keys_are_not_unused_credentials():
    row = report_row(access_key_2_active=False, access_key_2_last_rotated=days_ago(300))
    assert check(snapshot([row]), "user.unused_credential") == []


def test_unused_threshold_is_configurable():
    row = report_row(access_key_1_active=True, access_key_1_last_rotated=days_ago(40),
                     access_key_1_last_used_date=days_ago(31))
    assert check(snapshot([row]), "user.unused_credential") == []
    assert check(snapshot([row]), "user.unused_credential", Thresholds(unused_after_days=30))


def test_old_and_soon_old_access_keys():
    rows = [report_row("old", access_key_1_active=True, access_key_1_last_rotated=days_ago(120),
                       access_key_1_last_used_date=days_ago(1)),
            report_row("soon", access_key_2_active=True, access_key_2_last_rotated=days_ago(85),
                       access_key_2_last_used_date=days_ago(1)),
            report_row("week", access_key_1_active=True, access_key_1_last_rotated=days_ago(83),
                       access_key_1_last_used_date=days_ago(1)),
            report_row("young", access_key_1_active=True, access_key_1_last_rotated=days_ago(82),
                       access_key_1_last_used_date=days_ago(1))]
    [old] = check(snapshot(rows), "user.access_key_too_old")
    soon, week = check(snapshot(rows), "user.access_key_expiring")
    assert (old.iam_user_name, old.subject) == ("old", "access_key_1")
    assert (soon.iam_user_name, soon.subject) == ("soon", "access_key_2")
    assert week.iam_user_name == "week" and "in 7 days" in week.title
    assert "in 5 days" in soon.title and soon.severity is Severity.LOW


def test_two_active_keys():
    both = report_row("both", access_key_1_active=True, access_key_2_active=True,
                      access_key_1_last_rotated=days_ago(1), access_key_2_last_rotated=days_ago(1))
    one = report_row("one", access_key_1_active=True, access_key_1_last_rotated=days_ago(1))
    [finding] = check(snapshot([both, one]), "user.two_active_keys")
    assert finding.iam_user_name == "both"


# Findings as a whole


def test_findings_are_sorted_by_severity_and_keys_are_stable():
    rows = [root_row(mfa_active=False), report_row("a", password_enabled=True, mfa_active=False),
            report_row("b", access_key_1_active=True, access_key_2_active=True,
                       access_key_1_last_rotated=days_ago(1),
                       access_key_2_last_rotated=days_ago(1))]
    first = run_checks(snapshot(rows), Thresholds(), now=NOW)
    again = run_checks(snapshot(rows), Thresholds(), now=NOW + timedelta(hours=1))
    assert [f.severity.rank for f in first] == sorted(f.severity.rank for f in first)
    assert [f.key for f in first] == [f.key for f in again]
    assert len({f.key for f in first}) == len(first)
    assert first[0].key == f"root.mfa_disabled|arn:aws:iam::{ACCOUNT}:root"


def test_every_finding_names_a_principal_and_a_remediation():
    rows = [root_row(mfa_active=False, access_key_1_active=True),
            report_row(password_enabled=True, mfa_active=False)]
    snap = snapshot(rows, authorization=admins_authorization(1), password_policy=None,
                    password_policy_read=True)
    for finding in run_checks(snap, Thresholds(), now=NOW):
        assert finding.principals and finding.remediation and finding.detail
        assert finding.severity in set(Severity)


def test_user_tags_lead_to_the_slack_owner():
    authorization = AuthorizationDetails(users=(user("alice", tags={"slack-user-id": "U1"}),))
    snap = snapshot(authorization=authorization)
    assert snap.user_tags("alice") == {"slack-user-id": "U1"}
    assert snap.user_tags("nobody") == {}


def test_a_snapshot_with_nothing_collected_yields_nothing():
    assert run_checks(AccountSnapshot(collected_at=NOW), Thresholds(), now=NOW) == []


FORBIDDEN_IMPORTS = ("boto3", "botocore", "slack_bolt", "slack_sdk", "sqlite_utils",
                     "apscheduler", "aws")


@pytest.mark.parametrize("module", sorted(pathlib.Path("domain/hygiene").glob("*.py")))
def test_hygiene_domain_is_pure(module):
    tree = ast.parse(module.read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert not {name for name in imported if name.split(".")[0] in FORBIDDEN_IMPORTS}
