"""Authorization checks: admins, policies attached to users, roles and trust policies."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from domain.hygiene import (
    AttachedPolicy,
    AuthorizationDetails,
    CheckContext,
    Finding,
    IamRole,
    InlinePolicy,
    Principal,
    Severity,
)
from domain.hygiene_checks import idle_reason

AWS_ADMIN_POLICY_ARNS = frozenset({"arn:aws:iam::aws:policy/AdministratorAccess"})
WILDCARD_ACTIONS = frozenset({"*", "*:*"})
MIN_ROLE_SESSION_SECONDS = 3600


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in _as_list(document.get("Statement")) if isinstance(s, dict)]


def grants_full_admin(document: dict[str, Any]) -> bool:
    """True when a statement allows every action on every resource."""
    return any(
        statement.get("Effect") == "Allow"
        and WILDCARD_ACTIONS & set(_as_list(statement.get("Action")))
        and "*" in _as_list(statement.get("Resource"))
        for statement in _statements(document)
    )


def full_admin_policy_arns(authorization: AuthorizationDetails) -> frozenset[str]:
    """AdministratorAccess plus every managed policy whose default version grants *:*."""
    found = {p.arn for p in authorization.policies if grants_full_admin(p.document)}
    return AWS_ADMIN_POLICY_ARNS | found


def _admin_grants(
    attached: Iterable[AttachedPolicy], inline: Iterable[InlinePolicy], admin_arns: frozenset[str]
) -> list[str]:
    grants = [f"managed policy {p.name}" for p in attached if p.arn in admin_arns]
    return grants + [f"inline policy {p.name}" for p in inline if grants_full_admin(p.document)]


def admin_users(authorization: AuthorizationDetails) -> dict[str, tuple[str, list[str]]]:
    """IAM users holding *:* directly or via a group: name -> (ARN, how they hold it)."""
    admin_arns = full_admin_policy_arns(authorization)
    by_group = {
        group.name: _admin_grants(group.attached_policies, group.inline_policies, admin_arns)
        for group in authorization.groups
    }
    holders: dict[str, tuple[str, list[str]]] = {}
    for user in authorization.users:
        direct = _admin_grants(user.attached_policies, user.inline_policies, admin_arns)
        ways = [f"{grant} attached directly" for grant in direct]
        ways += [f"{grant} via group {g}" for g in user.groups for grant in by_group.get(g, [])]
        if ways:
            holders[user.name] = (user.arn, ways)
    return holders


def _role(role: IamRole) -> Principal:
    return Principal("role", role.name, role.arn)


def check_hard_expiry_lockout(context: CheckContext) -> list[Finding]:
    policy, authorization = context.snapshot.password_policy, context.snapshot.authorization
    if policy is None or authorization is None or not policy.hard_expiry:
        return []
    admins = admin_users(authorization)
    if len(admins) >= context.thresholds.min_admins:
        return []
    return [Finding(
        "password_policy.hard_expiry_lockout", Severity.HIGH,
        "Hard password expiry with too few admins", (context.account,),
        f"Hard expiry is on and only {len(admins)} IAM user(s) hold admin rights "
        f"(minimum {context.thresholds.min_admins}): once their passwords expire, nobody "
        "can reset passwords without the root user.",
        "Turn hard expiry off (aws iam update-account-password-policy without --hard-expiry) "
        "or give a second person admin rights through a group.",
    )]


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


def check_full_admins(context: CheckContext) -> list[Finding]:
    authorization = context.snapshot.authorization
    if authorization is None:
        return []
    return [Finding(
        "iam.full_admin", Severity.HIGH if any("directly" in w for w in ways) else Severity.MEDIUM,
        f"{name} holds full admin (*:*)", (Principal("user", name, arn),),
        "Holds Allow * on *: " + "; ".join(ways) + ".",
        "Prefer time-boxed admin access through Gatehouse; otherwise grant it only "
        "through an admin group.", iam_user_name=name,
    ) for name, (arn, ways) in admin_users(authorization).items()]


def check_admin_count(context: CheckContext) -> list[Finding]:
    authorization, t = context.snapshot.authorization, context.thresholds
    if authorization is None:
        return []
    admins = sorted(admin_users(authorization))
    listed = ", ".join(admins) or "nobody"
    if len(admins) < t.min_admins:
        return [Finding("iam.too_few_admins", Severity.MEDIUM,
                        f"Only {len(admins)} admin(s), fewer than {t.min_admins}",
                        (context.account,), f"Users with *:* are: {listed}.",
                        "Give a second trusted person admin rights through a group, so one "
                        "lost device does not lock the account.")]
    if len(admins) > t.max_admins:
        return [Finding("iam.too_many_admins", Severity.MEDIUM,
                        f"{len(admins)} admins, more than {t.max_admins}", (context.account,),
                        f"Users with *:* are: {listed}.",
                        "Remove standing admin rights from those who do not need them every "
                        "day; they can request time-boxed access through Gatehouse.")]
    return []


def _roles(context: CheckContext) -> tuple[IamRole, ...]:
    authorization = context.snapshot.authorization
    return authorization.roles if authorization else ()


def check_unused_roles(context: CheckContext) -> list[Finding]:
    findings, limit = [], context.thresholds.unused_after_days
    for role in (r for r in _roles(context) if not r.is_service_linked):
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
    for role in _roles(context):
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


def trusts_any_principal(trust_policy: dict[str, Any]) -> bool:
    """True when an Allow statement names '*' (or AWS '*') with no Condition."""
    for statement in _statements(trust_policy):
        principal = statement.get("Principal")
        anyone = principal == "*" or (
            isinstance(principal, dict) and "*" in _as_list(principal.get("AWS"))
        )
        if statement.get("Effect") == "Allow" and anyone and not statement.get("Condition"):
            return True
    return False


def check_open_trust_policies(context: CheckContext) -> list[Finding]:
    return [Finding(
        "role.trust_any_principal", Severity.CRITICAL, f"Anyone can assume role {role.name}",
        (_role(role),), "Its trust policy allows Principal '*' without a condition: any AWS "
        "account can assume it.", "Name the accounts or roles allowed in the trust policy, or "
        "add a condition such as aws:PrincipalOrgID or sts:ExternalId.",
    ) for role in _roles(context) if trusts_any_principal(role.trust_policy)]


AUTHORIZATION_CHECKS: tuple[Callable[[CheckContext], list[Finding]], ...] = (
    check_hard_expiry_lockout, check_direct_user_policies, check_full_admins, check_admin_count,
    check_unused_roles, check_role_session_duration, check_open_trust_policies,
)
