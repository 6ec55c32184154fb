"""The organisation-wide digest as data: a Digest per account, cross-account findings, totals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from domain.digest import (
    Acknowledgement,
    Digest,
    DigestInputs,
    GatehouseActivity,
    PreviousDigest,
    StoredFinding,
    TrendPoint,
    assemble,
    trend_points,
)
from domain.hygiene.findings import Finding, Severity
from domain.hygiene.model import AccountSnapshot
from domain.hygiene.organization import OrgAccount, OrgFacts

ORG_SCOPE = "org"  # the scope of cross-account findings, beside the accounts' 12-digit ids
ORG_ACCOUNT_ID = "org"  # what an organisation-wide digest is stored under
SEVERITY_WEIGHT = {Severity.CRITICAL: 1000, Severity.HIGH: 100, Severity.MEDIUM: 10,
                   Severity.LOW: 1}


def scoped(findings: Iterable[Finding], scope: str) -> list[Finding]:
    """The findings of one account (or of the organisation), their keys made distinct by it."""
    return [replace(finding, scope=scope) for finding in findings]


def scope_of(key: str) -> str | None:
    """The account id (or "org") a stored finding key belongs to; None for a one-account key."""
    head = key.partition("|")[0]
    return head.partition("/")[0] if "/" in head else None


def unscoped(stored: StoredFinding) -> StoredFinding:
    """The stored finding with its key as one account's digest writes it (for its fix)."""
    head, bar, rest = stored.key.partition("|")
    return replace(stored, key=head.rpartition("/")[2] + bar + rest)


def previous_in(previous: PreviousDigest | None, scope: str) -> PreviousDigest | None:
    """The part of the previous organisation digest that belongs to `scope`."""
    if previous is None:
        return None
    return PreviousDigest(previous.created_at,
                          tuple(f for f in previous.findings if scope_of(f.key) == scope))


@dataclass(frozen=True)
class AccountDigest:
    """One account's row: its name and id, and its digest (nothing_read when unreachable)."""

    name: str
    id: str
    digest: Digest

    @property
    def weight(self) -> int:
        """How bad it looks: critical findings first, then high, and so on."""
        return sum(SEVERITY_WEIGHT[s] * n for s, n in self.digest.by_severity.items())


@dataclass(frozen=True)
class OrgDigest:
    """Every account's digest, the organisation-wide findings (`org`) and the org's trend.

    It answers what the store, the summary and the CLI read of a Digest (findings, new,
    resolved, acknowledged, missing...) with the organisation's totals.
    """

    now: datetime
    day: date
    rows: tuple[AccountDigest, ...]
    org: Digest
    activity: GatehouseActivity | None = None
    trend: tuple[TrendPoint, ...] = ()
    account_id: str = ORG_ACCOUNT_ID

    @property
    def digests(self) -> tuple[Digest, ...]:
        return (self.org, *(row.digest for row in self.rows))

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for d in self.digests for f in d.findings)

    @property
    def acknowledged(self) -> tuple[tuple[Finding, Acknowledgement], ...]:
        return tuple(pair for d in self.digests for pair in d.acknowledged)

    @property
    def resolved(self) -> tuple[StoredFinding, ...]:
        return tuple(f for d in self.digests for f in d.resolved)

    @property
    def new_count(self) -> int:
        return sum(d.new_count for d in self.digests)

    @property
    def still_open_count(self) -> int:
        return len(self.findings) - self.new_count

    @property
    def by_severity(self) -> dict[Severity, int]:
        counts = Counter(f.severity for f in self.findings)
        return {severity: counts.get(severity, 0) for severity in Severity}

    @property
    def nothing_read(self) -> bool:
        return bool(self.rows) and all(row.digest.nothing_read for row in self.rows)

    @property
    def unreachable(self) -> tuple[AccountDigest, ...]:
        return tuple(row for row in self.rows if row.digest.nothing_read)

    @property
    def unread(self) -> tuple[str, ...]:
        """Per account with a missing source: 'dev (IAM credential report)'."""
        return tuple(f"{row.name} ({', '.join(row.digest.unread)})" for row in self.rows
                     if row.digest.unread)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(f"{row.name}: {m}" for row in self.rows for m in row.digest.missing)

    @property
    def carried(self) -> tuple[StoredFinding, ...]:
        """What unreachable accounts had open last time: kept with this digest, so that when
        they are read again their findings are not all new (nothing read is no baseline)."""
        return tuple(f for row in self.unreachable for f in row.digest.unchecked)

    @property
    def denied_counts(self) -> dict[str, int]:
        """AccessDenied counts per principal; ARNs name their account, so they never clash."""
        return {k: v for row in self.rows for k, v in row.digest.denied_counts.items()}

    def worst(self, count: int) -> list[AccountDigest]:
        """The accounts with the worst open findings, worst first; none without findings."""
        ranked = sorted((r for r in self.rows if r.digest.findings), key=lambda r: -r.weight)
        return ranked[:count]

    def row(self, name_or_id: str) -> AccountDigest | None:
        return next((r for r in self.rows if name_or_id in (r.name, r.id)), None)


@dataclass(frozen=True)
class AccountCheck:
    """What one account contributes: its snapshot and its (scoped) findings."""

    name: str
    id: str
    snapshot: AccountSnapshot
    findings: list[Finding]


@dataclass(frozen=True)
class CheckedAccount:
    """What one account leaves once checked and its snapshot dropped: its digest row and the
    few facts the cross-account checks read."""

    row: AccountDigest
    facts: OrgFacts

    @property
    def org_account(self) -> OrgAccount:
        return OrgAccount(self.row.name, self.row.id, self.facts)


@dataclass(frozen=True)
class OrgInputs:
    """The organisation's history: the shared digest inputs and each account's open counts."""

    shared: DigestInputs
    account_history: Mapping[str, Mapping[date, int]] = field(default_factory=dict)


def account_row(check: AccountCheck, inputs: OrgInputs) -> AccountDigest:
    """One account compared with its own part of the previous organisation digest."""
    shared = inputs.shared
    return AccountDigest(check.name, check.id, assemble(check.snapshot, check.findings, replace(
        shared, previous=previous_in(shared.previous, check.id), activity=None,
        trend_history=inputs.account_history.get(check.id, {}))))


def org_of(rows: tuple[AccountDigest, ...], org_findings: list[Finding],
           inputs: OrgInputs) -> OrgDigest:
    """The accounts' rows and the cross-account findings, as one organisation digest."""
    shared = inputs.shared
    org = assemble(AccountSnapshot(collected_at=shared.now), org_findings, replace(
        shared, previous=previous_in(shared.previous, ORG_SCOPE), activity=None,
        trend_history={}))
    total = len(org.findings) + sum(len(row.digest.findings) for row in rows)
    return OrgDigest(shared.now, shared.day, rows, org, shared.activity,
                     trend_points(shared.trend_history, shared.day, total))


def assemble_org(checked: list[AccountCheck], org_findings: list[Finding],
                 inputs: OrgInputs) -> OrgDigest:
    """Each account compared with its own part of the previous digest; the org as a whole."""
    return org_of(tuple(account_row(c, inputs) for c in checked), org_findings, inputs)
