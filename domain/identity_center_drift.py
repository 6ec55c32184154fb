"""Identity Center drift as digest findings: permanent assignments Gatehouse did not make."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from domain.digest import Digest
from domain.hygiene.findings import Finding, Principal, Severity
from domain.hygiene.model import MissingSource
from domain.identity_center import AssignmentKey
from domain.org_digest import OrgDigest

DRIFT_SOURCE = "IAM Identity Center"  # a MissingSource's name when assignments cannot be read
STANDING_CHECK = "identity_center.standing_assignment"


@dataclass(frozen=True)
class AccountFindings:
    """Findings about accounts read from outside their IAM, by account id, and the sources
    that could not be read for an account (their silence then resolves nothing)."""

    findings: Mapping[str, tuple[Finding, ...]] = field(default_factory=dict)
    missing: Mapping[str, tuple[MissingSource, ...]] = field(default_factory=dict)
    missing_everywhere: tuple[MissingSource, ...] = ()  # nothing could be read at all

    def findings_in(self, account_id: str) -> list[Finding]:
        return list(self.findings.get(account_id, ()))

    def missing_in(self, account_id: str) -> tuple[MissingSource, ...]:
        return (*self.missing_everywhere, *self.missing.get(account_id, ()))


@dataclass(frozen=True)
class StandingHolder:
    """Who holds a configured permission set permanently, in words the digest can show."""

    key: AssignmentKey
    request_name: str
    account: str
    permission_set: str
    user_name: str


def standing_finding(holder: StandingHolder) -> Finding:
    """One standing assignment as a finding: stable across days by user and permission set."""
    key, who = holder.key, holder.user_name or holder.key.user_id
    return Finding(
        check_id=STANDING_CHECK, severity=Severity.MEDIUM,
        title=f"{who} holds {holder.permission_set} in {holder.account} permanently, "
              "outside Gatehouse",
        principals=(Principal("user", who, f"identitystore:user/{key.user_id}"),),
        detail=(f"IAM Identity Center user {who} ({key.user_id}) is assigned the permission set "
                f"{holder.permission_set} in account {holder.account} ({key.account_id}) by an "
                f"assignment Gatehouse did not make, so it never expires. Through Gatehouse "
                f"the same access is requested as {holder.request_name} for a limited time."),
        remediation=(f"If it should not be permanent, remove the assignment in IAM Identity "
                     f"Center (AWS accounts → {holder.account} → the user → Remove access); "
                     f"{who} then requests {holder.request_name} when needed. If it should "
                     "stay, acknowledge this finding."),
        subject=key.permission_set_arn)


def drift_missing(words: str) -> MissingSource:
    return MissingSource(DRIFT_SOURCE, words)


def unresolved_while_unread(digest: Digest) -> Digest:
    """Standing assignments listed last time are not resolved when Identity Center could not
    be read for the account today: they are unchecked, and kept for tomorrow's comparison."""
    if DRIFT_SOURCE not in digest.unread:
        return digest
    gone = tuple(f for f in digest.resolved if f.check_id == STANDING_CHECK)
    return replace(digest, resolved=tuple(f for f in digest.resolved if f not in gone),
                   unchecked=(*digest.unchecked, *gone))


def drift_checked(digest: OrgDigest) -> OrgDigest:
    """The organisation digest with `unresolved_while_unread` applied to every account."""
    return replace(digest, rows=tuple(replace(row, digest=unresolved_while_unread(row.digest))
                                      for row in digest.rows))
