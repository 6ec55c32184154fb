"""Policy checks: policies on users, full access to sensitive services, idle roles, sessions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from domain.hygiene.credentials import idle_reason
from domain.hygiene.findings import CheckContext, Finding, Principal, Severity
from domain.hygiene.model import IamRole, InlinePolicy
from domain.hygiene.statements import grants_full_admin, service_wide_actions

MIN_ROLE_SESSION_SECONDS = 3600
SENSITIVE_SERVICES = ("kms", "cloudtrail")


def _role(role: IamRole) -> Principal:
    return Principal("role", role.name, role.arn)


def check_direct_user_policies(context: CheckContext) -> list[Finding]:
    authorization = context.snapshot.authorization
    users = authorization.users if authorization else ()
    return [Finding(
        "user.direct_policy", Severity.LOW, f"{user.name} has policies attached directly",
        (Principal("user", user.name, user.arn),),
        "Attached to the user, not a group: "
        + ", ".join([f"managed {p.name}" for p in user.attached_policies]
                    + [f"inline {p.name}" for p in user.inline_policies]) + ".",
        "Move these permissions to a group and add the user to it.", iam_user_name=user.name,
    ) for user in users if user.attached_policies or user.inline_policies]


def _customer_documents(context: CheckContext) -> list[tuple[Principal, str, dict[str, Any]]]:
    """(owner, policy in words, document) for customer managed and every inline policy."""
    authorization = context.snapshot.authorization
    if authorization is None:
        return []
    found = [(Principal("policy", p.name, p.arn), f"managed policy {p.name}", p.document)
             for p in authorization.policies if not p.is_aws_managed]
    owners: Iterable[tuple[str, str, str, tuple[InlinePolicy, ...]]] = [
        *(("user", u.name, u.arn, u.inline_policies) for u in authorization.users),
        *(("group", g.name, g.arn, g.inline_policies) for g in authorization.groups),
        *(("role", r.name, r.arn, r.inline_policies) for r in authorization.roles),
    ]
    found += [(Principal(kind, name, arn), f"inline policy {p.name} of {kind} {name}",
               p.document) for kind, name, arn, inline in owners for p in inline]
    return found


def check_sensitive_service_access(context: CheckContext) -> list[Finding]:
    findings = []
    for owner, words, document in _customer_documents(context):
        wide = {a.split(":")[0].lower() for a in service_wide_actions(document) if ":" in a}
        for service in (s for s in SENSITIVE_SERVICES if s in wide):
            findings.append(Finding(
                "policy.full_service_access", Severity.MEDIUM,
                f"{words[0].upper()}{words[1:]} allows every {service} action",
                (owner,), f"It allows {service}:* on every resource: whoever holds it can "
                f"{'disable or delete keys' if service == 'kms' else 'stop or delete trails'}.",
                f"List the {service} actions needed and the resources they apply to instead of "
                f"{service}:* on *.", subject=f"{words}|{service}",
            ))
    return findings


def check_unattached_admin_policies(context: CheckContext) -> list[Finding]:
    authorization = context.snapshot.authorization
    policies = authorization.policies if authorization else ()
    return [Finding(
        "policy.unattached_admin", Severity.LOW,
        f"Unattached policy {p.name} grants full admin", (Principal("policy", p.name, p.arn),),
        "A customer managed policy allows * on * while attached to nobody: one attach away "
        "from a new administrator.", f"Delete it: aws iam delete-policy --policy-arn {p.arn} "
        "(delete its other versions first).",
    ) for p in policies if not p.is_aws_managed and p.attachment_count == 0
        and grants_full_admin(p.document)]


def check_unused_roles(context: CheckContext) -> list[Finding]:
    findings, limit = [], context.thresholds.unused_after_days
    for role in (r for r in context.roles if not r.is_service_linked):
        why = idle_reason(context.now, role.last_used, role.created, limit)
        if why:
            findings.append(Finding(
                "role.unused", Severity.LOW, f"Role {role.name} is unused", (_role(role),),
                f"The role was {why}.", f"Delete the role if nothing needs it: "
                f"aws iam delete-role --role-name {role.name} (detach its policies first).",
            ))
    return findings


def check_role_session_duration(context: CheckContext) -> list[Finding]:
    findings = []
    for role in context.roles:
        longest_grant = context.role_grant_limits.get(role.arn)
        if longest_grant is None or role.max_session_duration is None:
            continue
        # AWS allows no MaxSessionDuration under one hour, so a shorter grant is not a finding.
        allowed = max(longest_grant, MIN_ROLE_SESSION_SECONDS)
        if role.max_session_duration > allowed:
            findings.append(Finding(
                "role.session_too_long", Severity.MEDIUM,
                f"Role {role.name} allows longer sessions than Gatehouse grants", (_role(role),),
                f"MaxSessionDuration is {role.max_session_duration} s; the longest grant "
                f"configured is {longest_grant} s.", f"aws iam update-role --role-name "
                f"{role.name} --max-session-duration {allowed}",
            ))
    return findings


AUTHORIZATION_CHECKS: tuple[Callable[[CheckContext], list[Finding]], ...] = (
    check_direct_user_policies, check_sensitive_service_access, check_unattached_admin_policies,
    check_unused_roles, check_role_session_duration,
)
