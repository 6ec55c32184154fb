"""Cross-account checks and the organisation digest model, on hand-made snapshots."""

from __future__ import annotations

from dataclasses import replace

from domain.digest import DigestInputs, PreviousDigest, StoredFinding, stored_fix
from domain.hygiene import AuthorizationDetails, PasswordPolicy, Severity
from domain.hygiene.organization import (
    OrgAccount,
    accounts_without_password_policy,
    org_checks,
    org_facts,
    outside_accounts,
    roles_trusting_outside,
    trusted_account,
    users_with_keys_in_many_accounts,
)
from domain.org_digest import (
    ORG_SCOPE,
    AccountCheck,
    OrgInputs,
    assemble_org,
    scope_of,
    scoped,
    unscoped,
)
from domain.org_digest_text import render_org_text
from tests.unit.hygiene_builders import NOW, days_ago, report_row, role, snapshot

PROD, DEV = "111111111111", "222222222222"
POLICY = PasswordPolicy(14, True, True, True, True, True, True, 90, 24, False)


def trusting(*principals, condition=None) -> dict:
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Principal": {"AWS": list(principals)}}
    if condition:
        statement["Condition"] = condition
    return {"Statement": [statement]}


def account(name: str, account_id: str, **snap) -> OrgAccount:
    return OrgAccount(name, account_id, org_facts(replace(snapshot(**snap), account_id=account_id)))


def with_key(user: str, account_id: str):
    return report_row(user, arn=f"arn:aws:iam::{account_id}:user/{user}",
                      access_key_1_active=True, access_key_1_last_rotated=days_ago(3))


def test_trusted_account_reads_ids_and_arns():
    assert trusted_account("999999999999") == "999999999999"
    assert trusted_account("arn:aws:iam::999999999999:role/x") == "999999999999"
    assert trusted_account("arn:aws:sts::999999999999:assumed-role/x/y") == "999999999999"
    assert trusted_account("*") is None and trusted_account("arn:aws:iam::aws:policy/x") is None


def test_a_role_trusting_an_account_outside_the_organisation_is_found():
    outside = role("vendor", trusting("arn:aws:iam::999999999999:root", f"{DEV}"))
    inside = role("sibling", trusting(f"arn:aws:iam::{DEV}:root"))
    pinned = role("pinned", trusting("arn:aws:iam::888888888888:root", condition={
        "StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}))
    hub = role("gatehouse", trusting("arn:aws:iam::555555555555:role/Gatehouse"))
    accounts = [account("prod", PROD, authorization=AuthorizationDetails(
        roles=(outside, inside, pinned, hub))), account("dev", DEV)]
    findings = roles_trusting_outside(accounts, frozenset({"555555555555"}))
    assert [(f.principals[0].name, f.subject) for f in findings] == [("vendor", "999999999999")]
    assert findings[0].severity is Severity.HIGH and "prod" in findings[0].title
    assert outside_accounts(hub, frozenset()) == ["555555555555"]


def test_the_same_user_with_keys_in_several_accounts_is_one_finding():
    accounts = [account("prod", PROD, rows=[with_key("ci", PROD), with_key("solo", PROD)]),
                account("dev", DEV, rows=[with_key("ci", DEV), report_row("solo")])]
    [finding] = users_with_keys_in_many_accounts(accounts)
    assert finding.title == "IAM user ci has access keys in 2 accounts"
    assert {p.arn for p in finding.principals} == {f"arn:aws:iam::{PROD}:user/ci",
                                                   f"arn:aws:iam::{DEV}:user/ci"}
    assert "prod, dev" in finding.detail and finding.iam_user_name is None


def test_accounts_without_a_password_policy_are_listed_together():
    accounts = [account("prod", PROD, password_policy=POLICY, password_policy_read=True),
                account("dev", DEV, password_policy_read=True),
                account("unread", "333333333333")]
    [finding] = accounts_without_password_policy(accounts)
    assert finding.title == "1 of 2 accounts read have no password policy"
    assert [p.name for p in finding.principals] == ["dev"]
    assert accounts_without_password_policy(accounts[:1]) == []


def test_org_checks_run_all_three_sorted_by_severity():
    accounts = [account("prod", PROD, rows=[with_key("ci", PROD)], password_policy_read=True,
                        authorization=AuthorizationDetails(roles=(role("vendor", trusting(
                            "999999999999")),))),
                account("dev", DEV, rows=[with_key("ci", DEV)], password_policy=POLICY,
                        password_policy_read=True)]
    assert [f.check_id for f in org_checks(accounts)] == [
        "org.role_trusts_outside", "org.accounts_without_password_policy",
        "org.user_keys_in_many_accounts"]


def test_scoped_keys_name_their_account_and_keep_their_fix():
    row = report_row("carol", password_enabled=True, mfa_active=False)
    snap = replace(snapshot(rows=[row]), account_id=PROD)
    from domain.hygiene import Thresholds, run_checks
    [finding] = [f for f in run_checks(snap, Thresholds(), now=NOW)
                 if f.check_id == "user.console_without_mfa"]
    [mine] = scoped([finding], PROD)
    assert mine.key == f"{PROD}/{finding.key}" and scope_of(mine.key) == PROD
    assert scope_of(finding.key) is None  # a one-account key keeps its old form
    stored = StoredFinding(mine.key, mine.check_id, mine.severity, mine.title)
    assert stored_fix(unscoped(stored), "remove_password").user == "carol"


def test_each_account_compares_with_its_own_part_of_the_previous_digest():
    row = report_row("carol", password_enabled=True, mfa_active=False)
    prod = replace(snapshot(rows=[row], password_policy_read=True), account_id=PROD)
    dev = replace(snapshot(rows=[row], password_policy=POLICY, password_policy_read=True),
                  account_id=DEV)
    from domain.hygiene import Thresholds, run_checks
    found = {a: scoped(run_checks(s, Thresholds(), now=NOW), a) for a, s in
             ((PROD, prod), (DEV, dev))}
    old = [StoredFinding(f.key, f.check_id, f.severity, f.title) for f in found[PROD]]
    old.append(StoredFinding(f"{DEV}/user.console_without_mfa|gone", "user.console_without_mfa",
                             Severity.HIGH, "gone"))
    shared = DigestInputs(now=NOW, day=NOW.date(), owner_tag="t",
                          previous=PreviousDigest(days_ago(1), tuple(old)),
                          trend_history={days_ago(1).date(): 9})
    digest = assemble_org([AccountCheck("prod", PROD, prod, found[PROD]),
                           AccountCheck("dev", DEV, dev, found[DEV])],
                          scoped([], ORG_SCOPE), OrgInputs(shared, {PROD: {
                              days_ago(1).date(): 4}}))
    prod_row, dev_row = digest.rows
    assert prod_row.digest.new_count == 0 and not prod_row.digest.resolved
    assert dev_row.digest.new_count == len(found[DEV])
    assert [f.title for f in dev_row.digest.resolved] == ["gone"]
    assert digest.new_count == len(found[DEV]) and len(digest.resolved) == 1
    assert [p.open for p in digest.trend][-2:] == [9, len(digest.findings)]
    assert [p.open for p in prod_row.digest.trend][-2:] == [4, len(found[PROD])]
    assert digest.worst(1) == [max(digest.rows, key=lambda r: r.weight)]
    text = render_org_text(digest)
    assert "prod (111111111111):" in text and "=== dev (222222222222) ===" in text


def test_the_command_answer_reads_an_org_digest_like_one_account():
    from datetime import date

    from domain import digest_text as words
    from domain.digest import Digest
    from domain.org_digest import AccountDigest, OrgDigest
    from handlers import digest_blocks

    unreachable = replace(Digest(now=NOW, day=date(2026, 6, 1), account_id=DEV, findings=()),
                          nothing_read=True, missing=("manage role: AccessDenied",),
                          unread=("manage role",))
    empty = Digest(now=NOW, day=date(2026, 6, 1), account_id=PROD, findings=())
    digest = OrgDigest(NOW, date(2026, 6, 1), (AccountDigest("prod", PROD, empty),
                                               AccountDigest("dev", DEV, unreachable)), empty)
    assert digest_blocks.summary_counts(digest) == "0 open findings, 0 new, 0 resolved"
    assert words.incomplete(digest) == " (INCOMPLETE: could not read dev (manage role))"
    assert digest.missing == ("dev: manage role: AccessDenied",) and not digest.nothing_read
