"""Administrator checks: who holds *:* (users and roles), how many, and how well they sign in."""

from __future__ import annotations

from collections.abc import Callable

from domain.hygiene.findings import CheckContext, Finding, Principal, Severity
from domain.hygiene.model import CredentialReportRow, IamRole
from domain.hygiene.principals import PrincipalPolicies
from domain.hygiene.trust import who_can_assume


def _principal(admin: PrincipalPolicies) -> Principal:
    return Principal(admin.kind, admin.name, admin.arn)


def _role_named(context: CheckContext, name: str) -> IamRole | None:
    return next((role for role in context.roles if role.name == name), None)


def _admin_finding(context: CheckContext, admin: PrincipalPolicies) -> Finding:
    direct = any("directly" in way for way in admin.admin_ways)
    detail = "Holds Allow * on *: " + "; ".join(admin.admin_ways) + "."
    if admin.kind == "role":
        role = _role_named(context, admin.name)
        detail += f" Who can assume it: {who_can_assume(role) if role else 'unknown'}."
    return Finding(
        "iam.full_admin", Severity.HIGH if direct else Severity.MEDIUM,
        f"{'Role ' if admin.kind == 'role' else ''}{admin.name} is a full administrator",
        (_principal(admin),), detail,
        "Prefer time-boxed admin access through Gatehouse; otherwise grant it only "
        "through an admin group, or to a role only the right people can assume.",
        iam_user_name=admin.name if admin.kind == "user" else None,
    )


def check_full_admins(context: CheckContext) -> list[Finding]:
    return [_admin_finding(context, admin) for admin in context.admins]


def _listed(context: CheckContext) -> str:
    names = sorted(f"{a.name}{' (role)' if a.kind == 'role' else ''}" for a in context.admins)
    return ", ".join(names) or "nobody"


def check_admin_count(context: CheckContext) -> list[Finding]:
    if context.snapshot.authorization is None:
        return []
    count, t = len(context.admins), context.thresholds
    if count < t.min_admins:
        return [Finding("iam.too_few_admins", Severity.MEDIUM,
                        f"Only {count} admin(s), fewer than {t.min_admins}",
                        (context.account,), f"Users and roles with *:* are: {_listed(context)}.",
                        "Give a second trusted person admin rights through a group, so one "
                        "lost device does not lock the account.")]
    if count > t.max_admins:
        return [Finding("iam.too_many_admins", Severity.MEDIUM,
                        f"{count} admins, more than {t.max_admins}", (context.account,),
                        f"Users and roles with *:* are: {_listed(context)}.",
                        "Remove standing admin rights from those who do not need them every "
                        "day; they can request time-boxed access through Gatehouse.")]
    return []


def check_hard_expiry_lockout(context: CheckContext) -> list[Finding]:
    policy = context.snapshot.password_policy
    if policy is None or context.snapshot.authorization is None or not policy.hard_expiry:
        return []
    users = [a for a in context.admins if a.kind == "user"]
    if len(users) >= context.thresholds.min_admins:
        return []
    return [Finding(
        "password_policy.hard_expiry_lockout", Severity.HIGH,
        "Hard password expiry with too few admins", (context.account,),
        f"Hard expiry is on and only {len(users)} IAM user(s) hold admin rights "
        f"(minimum {context.thresholds.min_admins}): once their passwords expire, nobody "
        "can reset passwords without the root user.",
        "Turn hard expiry off (aws iam update-account-password-policy without --hard-expiry) "
        "or give a second person admin rights through a group.",
    )]


def _report_rows(context: CheckContext) -> dict[str, CredentialReportRow]:
    report = context.snapshot.credential_report
    return {row.user: row for row in report.users} if report else {}


def check_admins_without_mfa(context: CheckContext) -> list[Finding]:
    rows, findings = _report_rows(context), []
    for admin in (a for a in context.admins if a.kind == "user" and a.name in rows):
        row = rows[admin.name]
        ways = ["a console password"] if row.password_enabled else []
        ways += [f"active {slot.label}" for slot in row.access_keys() if slot.key.is_active]
        if row.mfa_active or not ways:
            continue
        findings.append(Finding(
            "iam.admin_without_mfa", Severity.CRITICAL,
            f"Administrator {admin.name} has no MFA", (_principal(admin),),
            f"{admin.name} holds full admin and signs in with {' and '.join(ways)}, no MFA "
            "device: one stolen password or key owns the account.",
            f"Enable MFA for {admin.name} today, or remove the admin rights.",
            iam_user_name=admin.name,
        ))
    return findings


def check_hardware_mfa(context: CheckContext) -> list[Finding]:
    """With `require_hardware_mfa`, root and admin users must not rely on a virtual device."""
    virtual = context.snapshot.virtual_mfa_arns
    if not context.thresholds.require_hardware_mfa or virtual is None:
        return []
    root = Principal("root", "root", context.account.arn)
    on_phones = [root] if context.account.arn in virtual else []
    on_phones += [_principal(a) for a in context.admins if a.kind == "user" and a.arn in virtual]
    return [Finding(
        "iam.virtual_mfa", Severity.MEDIUM, f"{who.name} uses a virtual MFA device",
        (who,), f"{who.name} has full control of the account and signs in with an app-based "
        "MFA device; the config asks for hardware MFA.", "Register a hardware security key "
        "(FIDO) or hardware TOTP token, then remove the virtual device.",
        iam_user_name=who.name if who.kind == "user" else None,
    ) for who in on_phones]


ADMIN_CHECKS: tuple[Callable[[CheckContext], list[Finding]], ...] = (
    check_full_admins, check_admin_count, check_hard_expiry_lockout, check_admins_without_mfa,
    check_hardware_mfa,
)
