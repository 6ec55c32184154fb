"""Build the organisation-wide digest: every account collected in parallel, checked, compared."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from config import Config
from domain.accounts import MANAGE_SESSION_NAME, Account
from domain.digest import BASELINE_DAYS, TREND_DAYS, DigestInputs, denied_baseline
from domain.errors import CloudError, UserError
from domain.hygiene import AccountSnapshot, MissingSource, run_checks
from domain.hygiene.findings import Finding
from domain.hygiene.organization import org_checks, org_facts
from domain.identity_center_drift import AccountFindings, drift_checked
from domain.org_digest import (
    ORG_SCOPE,
    AccountCheck,
    CheckedAccount,
    OrgDigest,
    OrgInputs,
    account_row,
    org_of,
    scoped,
)
from services.digest_ports import AccountFindingSource, AccountsData, DigestStore

log = logging.getLogger("gatehouse.digest")
ACTIVITY_WINDOW = timedelta(hours=24)
COLLECTION_SOURCE = "digest collection"


def manage_principal(account: Account) -> str:
    """The session ARN Gatehouse acts as in `account`: its own changes there are not listed
    as someone else's (with the manage role itself, as the sessions' issuer)."""
    role_name = account.manage_role.rsplit("/", 1)[-1]
    return f"arn:aws:sts::{account.id}:assumed-role/{role_name}/{MANAGE_SESSION_NAME}"


def grant_limits_in(config: Config, account_id: str) -> dict[str, int]:
    """Role ARN in `account_id` -> the longest grant configured for it ({account} filled in)."""
    limits: dict[str, int] = {}
    for role in config.roles.values():
        arn = role.arn.replace("{account}", account_id)
        limits[arn] = max(limits.get(arn, 0), role.max_duration)
    return limits


def pick(accounts: list[Account], only: str | None) -> list[Account]:
    """Every account, or the one named `only` (a name or an id); UserError naming the known."""
    if only is None:
        return accounts
    chosen = [a for a in accounts if only in (a.name, a.id)]
    if not chosen:
        known = ", ".join(a.name for a in accounts) or "none"
        raise UserError(f"There is no account {only!r}; the accounts are: {known}.")
    return chosen


def org_summary(digest: OrgDigest) -> dict[str, Any]:
    """The org headline kept with each digest (App Home) and one row per account (trends)."""
    return {"open": len(digest.findings), "new": digest.new_count,
            "resolved": len(digest.resolved), "still_open": digest.still_open_count,
            "acknowledged": len(digest.acknowledged), "missing": list(digest.missing),
            "nothing_read": digest.nothing_read,
            "by_severity": {s.value: n for s, n in digest.by_severity.items()},
            "accounts": [{"id": r.id, "name": r.name, "open": len(r.digest.findings),
                          "new": r.digest.new_count, "resolved": len(r.digest.resolved),
                          "nothing_read": r.digest.nothing_read,
                          "by_severity": {s.value: n for s, n in r.digest.by_severity.items()},
                          "missing": list(r.digest.unread)} for r in digest.rows]}


@dataclass
class OrgDigestBuilder:
    """Collects each account on its own clients, at most `digest.concurrency` at once."""

    config: Config
    store: DigestStore
    source: AccountsData
    extra: AccountFindingSource | None = None  # Identity Center drift, by account

    def build(self, now: datetime, only: str | None = None) -> OrgDigest:
        """Collect and check every account (or the one named `only`) now; nothing is kept.

        Each account is collected, checked and assembled in its worker, which keeps only its
        digest row and the facts the cross-account checks read: at most `digest.concurrency`
        snapshots are alive at once, however many accounts there are."""
        accounts = pick(self.source.accounts(), only)
        inputs = self._inputs(now)
        day = inputs.shared.day
        baseline = denied_baseline(self.store.denied_history(
            day - timedelta(days=BASELINE_DAYS), day - timedelta(days=1)))
        workers = max(1, min(self.config.digest.concurrency, len(accounts)))
        extra = self.extra.findings(now) if self.extra else AccountFindings()
        with ThreadPoolExecutor(workers, thread_name_prefix="digest-account") as pool:
            checked = list(pool.map(lambda a: self._check(a, now, inputs, baseline, extra),
                                    accounts))
        org_findings = self._org_findings(checked, accounts) if only is None else []
        return drift_checked(org_of(tuple(c.row for c in checked), org_findings, inputs))

    def _inputs(self, now: datetime) -> OrgInputs:
        """What every account's digest is compared with, read from the store before collecting."""
        day = now.astimezone(self.config.zone).date()
        shared = DigestInputs(
            now=now, day=day, owner_tag=self.config.identity.iam_user_tag,
            previous=self.store.previous(now), acks=self.store.acknowledgements(),
            activity=self.store.activity(now - ACTIVITY_WINDOW, now),
            trend_history=self.store.open_counts(day - timedelta(days=TREND_DAYS), day))
        history = self.store.account_open_counts(day - timedelta(days=TREND_DAYS), day)
        return OrgInputs(shared, history)

    def _check(self, account: Account, now: datetime, inputs: OrgInputs,
               baseline: dict[str, int],
               extra: AccountFindings | None = None) -> CheckedAccount:
        """One account, in a worker thread: collected, checked and assembled; its snapshot is
        dropped when this returns."""
        extra = extra or AccountFindings()
        snapshot = self._snapshot(account, now)
        snapshot = replace(snapshot, missing=(*snapshot.missing, *extra.missing_in(account.id)))
        findings = extra.findings_in(account.id) + run_checks(
            snapshot, self.config.digest.thresholds(), now=now,
            role_grant_limits=grant_limits_in(self.config, account.id),
            gatehouse_principal_arns={manage_principal(account), account.manage_role},
            denied_baseline=baseline)
        check = AccountCheck(account.name, account.id, snapshot, scoped(findings, account.id))
        return CheckedAccount(account_row(check, inputs), org_facts(snapshot))

    def _snapshot(self, account: Account, now: datetime) -> AccountSnapshot:
        try:
            return self.source.snapshot(
                account, now, cloudtrail_bucket=self.config.digest.cloudtrail_bucket,
                service_last_accessed=self.config.digest.service_last_accessed)
        except Exception as error:  # one account must never stop the others' digest
            log.warning("account not collected", extra={"account": account.id,
                                                         "error": str(error)})
            return AccountSnapshot(collected_at=now, account_id=account.id, missing=(
                MissingSource(COLLECTION_SOURCE, f"collection failed: {error}"),))

    def _org_findings(self, checked: list[CheckedAccount],
                      accounts: list[Account]) -> list[Finding]:
        readable = [c.org_account for c in checked]
        known = frozenset(a.id for a in accounts) | self._own_account()
        return scoped(org_checks(readable, known), ORG_SCOPE)

    def _own_account(self) -> frozenset[str]:
        """Gatehouse's own account: the manage roles trust it, which is not outside trust."""
        try:
            return frozenset({self.source.caller_identity().account})
        except CloudError as error:
            log.warning("cannot read Gatehouse's own identity", extra={"error": str(error)})
            return frozenset()
