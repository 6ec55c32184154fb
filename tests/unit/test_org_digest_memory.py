"""The org digest keeps no account's snapshot: each is checked in its worker, then dropped."""

from __future__ import annotations

import gc
import threading
import weakref
from dataclasses import replace

import pytest

from aws.sts import CallerIdentity
from config import parse_config
from domain.accounts import Account
from domain.hygiene import AuthorizationDetails, PasswordPolicy
from domain.hygiene.organization import OrgFacts
from domain.org_digest import CheckedAccount
from services.org_digest import OrgDigestBuilder
from storage.database import open_store
from storage.digests import DigestStore
from tests.unit.hygiene_builders import NOW, days_ago, report_row, role, snapshot

OUTSIDE = "999999999999"
POLICY = PasswordPolicy(14, True, True, True, True, True, True, 90, 24, False)


def accounts(count: int) -> list[Account]:
    return [Account(f"acct{n}", f"{100000000000 + n:012d}",
                    f"arn:aws:iam::{100000000000 + n:012d}:role/GatehouseManage")
            for n in range(count)]


class CountingAccounts:
    """Account data answering hand-made snapshots and watching how many are still alive."""

    def __init__(self, known: list[Account]) -> None:
        self.known = known
        self.alive: list[weakref.ref] = []
        self.most_alive = 0
        self._lock = threading.Lock()

    def accounts(self) -> list[Account]:
        return self.known

    def snapshot(self, account: Account, now, *, cloudtrail_bucket,
                 service_last_accessed=True):
        arn = f"arn:aws:iam::{account.id}:user/ci"
        made = replace(snapshot(
            rows=[report_row("ci", arn=arn, access_key_1_active=True,
                             access_key_1_last_rotated=days_ago(200)),
                  *(report_row(f"user{n}") for n in range(50))],
            authorization=AuthorizationDetails(roles=(role("vendor", {"Statement": [{
                "Effect": "Allow", "Action": "sts:AssumeRole",
                "Principal": {"AWS": f"arn:aws:iam::{OUTSIDE}:root"}}]}),)),
            password_policy=POLICY if account.name == "acct0" else None,
            password_policy_read=True), account_id=account.id)
        with self._lock:
            gc.collect()
            self.alive = [ref for ref in self.alive if ref() is not None]
            self.alive.append(weakref.ref(made))
            self.most_alive = max(self.most_alive, len(self.alive))
        return made

    def caller_identity(self) -> CallerIdentity:
        return CallerIdentity("555555555555", "arn:aws:iam::555555555555:role/Gatehouse",
                              "AROAGATEHOUSE")


def builder(tmp_path, source: CountingAccounts, concurrency: int) -> OrgDigestBuilder:
    config = parse_config({
        "admins": ["U0ADMIN"], "approvals_channel": "C0APPROVALS",
        "accounts": {a.name: {"id": a.id, "manage_role": a.manage_role} for a in source.known},
        "roles": {"readonly": {"arn": "arn:aws:iam::100000000000:role/ReadOnly",
                               "max_duration": "1h"}},
        "digest": {"channel": "C0HYGIENE", "concurrency": concurrency}})
    return OrgDigestBuilder(config, DigestStore(open_store(tmp_path / "d.db")), source)


@pytest.mark.parametrize("concurrency", [1, 3])
def test_no_more_snapshots_are_alive_than_accounts_collected_at_once(tmp_path, concurrency):
    source = CountingAccounts(accounts(8))
    digest = builder(tmp_path, source, concurrency).build(NOW)
    gc.collect()
    assert 1 <= source.most_alive <= concurrency
    assert not [ref for ref in source.alive if ref() is not None]  # none kept by the digest
    assert [row.name for row in digest.rows] == [a.name for a in source.known]
    assert all(row.digest.findings for row in digest.rows)


def test_the_cross_account_checks_still_run_on_the_facts_kept(tmp_path):
    source = CountingAccounts(accounts(3))
    digest = builder(tmp_path, source, 2).build(NOW)
    titles = [f.title for f in digest.org.findings]
    assert "IAM user ci has access keys in 3 accounts" in titles
    assert "2 of 3 accounts read have no password policy" in titles
    assert sum(f.check_id == "org.role_trusts_outside" for f in digest.org.findings) == 3


def test_a_checked_account_holds_its_row_and_facts_only(tmp_path):
    made = builder(tmp_path, CountingAccounts(accounts(1)), 1)
    inputs = made._inputs(NOW)
    checked = made._check(accounts(1)[0], NOW, inputs, {})
    assert isinstance(checked, CheckedAccount) and isinstance(checked.facts, OrgFacts)
    assert checked.facts.key_holders == (("ci", "arn:aws:iam::100000000000:user/ci"),)
    assert [r.trusted for r in checked.facts.trusting_roles] == [(OUTSIDE,)]
