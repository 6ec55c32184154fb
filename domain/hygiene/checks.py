"""Runs every hygiene check that has its data; findings sorted by severity, then key."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from domain.hygiene.admins import ADMIN_CHECKS
from domain.hygiene.authorization import AUTHORIZATION_CHECKS
from domain.hygiene.cloudtrail import TRAIL_CHECKS
from domain.hygiene.credentials import CREDENTIAL_CHECKS
from domain.hygiene.escalation import ESCALATION_CHECKS
from domain.hygiene.findings import CheckContext, Finding, Thresholds
from domain.hygiene.last_accessed import LAST_ACCESSED_CHECKS
from domain.hygiene.model import AccountSnapshot
from domain.hygiene.trust import TRUST_CHECKS

CHECKS = (CREDENTIAL_CHECKS + ADMIN_CHECKS + AUTHORIZATION_CHECKS + TRUST_CHECKS
          + ESCALATION_CHECKS + LAST_ACCESSED_CHECKS + TRAIL_CHECKS)


def run_checks(
    snapshot: AccountSnapshot,
    thresholds: Thresholds,
    *,
    now: datetime,
    role_grant_limits: Mapping[str, int] | None = None,
    gatehouse_principal_arns: frozenset[str] | set[str] | tuple[str, ...] = (),
    denied_baseline: Mapping[str, int] | None = None,
) -> list[Finding]:
    """Run every check that has its data; findings sorted by severity, then key.

    `role_grant_limits` maps role ARN to the longest grant configured, in seconds;
    `denied_baseline` maps principal ARN (the role's ARN for assumed-role sessions) to
    its AccessDenied count over the past days (`BASELINE_DAYS`).
    """
    context = CheckContext(
        snapshot, thresholds, now, role_grant_limits or {},
        frozenset(gatehouse_principal_arns), denied_baseline or {},
    )
    findings = [finding for check in CHECKS for finding in check(context)]
    return sorted(findings, key=lambda f: (f.severity.rank, f.key))
