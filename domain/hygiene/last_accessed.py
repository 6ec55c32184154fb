"""Unused permissions: services a principal is granted but has not used (IAM last-accessed data)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from domain.hygiene.findings import CheckContext, Finding, Principal, Severity
from domain.hygiene.model import AuthorizationDetails
from domain.hygiene.principals import principal_policies
from domain.hygiene.statements import service_wide_actions

SHOWN_SERVICES = 8


def broad_principal_arns(authorization: AuthorizationDetails) -> tuple[str, ...]:
    """Admins and principals allowed a whole service (`s3:*`) on `*`: the ones worth asking
    IAM's last-accessed data about, so the calls grow with them, not with all users."""
    return tuple(sorted(
        p.arn for p in principal_policies(authorization)
        if p.is_admin or any(service_wide_actions(s.document) for s in p.sources)
    ))


def check_unused_permissions(context: CheckContext) -> list[Finding]:
    data = context.snapshot.last_accessed or ()
    cutoff = context.now - timedelta(days=context.thresholds.unused_after_days)
    known = {p.arn: p for p in context.principals}
    created = {u.arn: u.created for u in (context.snapshot.authorization.users
                                          if context.snapshot.authorization else ())}
    created |= {r.arn: r.created for r in context.roles}
    findings = []
    for entry in (e for e in data if e.arn in known):
        born = created.get(entry.arn)
        if born is not None and born > cutoff:
            continue  # too young to judge
        idle = sorted(s.namespace for s in entry.services
                      if s.last_used is None or s.last_used < cutoff)
        if not idle:
            continue
        who = known[entry.arn]
        shown = ", ".join(idle[:SHOWN_SERVICES]) + (", …" if len(idle) > SHOWN_SERVICES else "")
        findings.append(Finding(
            "iam.unused_permissions", Severity.MEDIUM if who.is_admin else Severity.LOW,
            f"{who.name} could drop: {shown}", (Principal(who.kind, who.name, who.arn),),
            f"{len(idle)} of {len(entry.services)} services its policies grant were not used "
            f"in {context.thresholds.unused_after_days} days: {', '.join(idle)}.",
            "Remove these services from its policies (IAM console > Access Advisor shows "
            "the same data), or give it a narrower policy.",
            iam_user_name=who.name if who.kind == "user" else None,
        ))
    return findings


LAST_ACCESSED_CHECKS: tuple[Callable[[CheckContext], list[Finding]], ...] = (
    check_unused_permissions,
)
