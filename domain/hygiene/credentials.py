"""Credential report checks: root user, password policy, users' passwords and access keys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from domain.hygiene.findings import CheckContext, Finding, Principal, Severity, Thresholds
from domain.hygiene.model import CredentialReportRow, PasswordPolicy, ReportedKey, moment


def _age_days(now: datetime, then: datetime) -> int:
    return (now - then).days


def _root(context: CheckContext) -> Principal:
    return Principal("root", "root", context.account.arn)


def _user(row: CredentialReportRow) -> Principal:
    return Principal("user", row.user, row.arn)


def _root_row(context: CheckContext) -> CredentialReportRow | None:
    report = context.snapshot.credential_report
    return report.root if report else None


def _user_rows(context: CheckContext) -> tuple[CredentialReportRow, ...]:
    report = context.snapshot.credential_report
    return report.users if report else ()


def check_root_mfa(context: CheckContext) -> list[Finding]:
    root, summary = _root_row(context), context.snapshot.summary
    if root is None and summary is None:
        return []
    mfa_on = root.mfa_active if root is not None else summary.root_mfa_enabled
    if mfa_on:
        return []
    return [Finding(
        "root.mfa_disabled", Severity.CRITICAL, "Root user has no MFA", (_root(context),),
        "The root user can sign in with its password alone.",
        "Enable an MFA device on the root user (IAM console > Security credentials) "
        "and keep the device and password in a safe.",
    )]


def check_root_access_keys(context: CheckContext) -> list[Finding]:
    root, summary = _root_row(context), context.snapshot.summary
    if root is None and summary is None:
        return []
    present = (
        any(slot.key.is_active for slot in root.access_keys()) if root is not None
        else summary.root_access_keys_present
    )
    if not present:
        return []
    return [Finding(
        "root.access_keys", Severity.CRITICAL, "Root user has access keys", (_root(context),),
        "The root user has an active access key: a leaked key owns the whole account.",
        "Sign in as root, delete its access keys, and use IAM roles for automation.",
    )]


def check_root_recent_use(context: CheckContext) -> list[Finding]:
    root = _root_row(context)
    if root is None:
        return []
    since = context.now - timedelta(days=1)
    uses = [("password", root.password_last_used)]
    uses += [(slot.label, slot.key.last_used) for slot in root.access_keys()]
    recent = [f"{what} at {moment(when)}"
              for what, when in uses if when and when >= since]
    if not recent:
        return []
    return [Finding(
        "root.recent_use", Severity.HIGH, "Root user was used in the last day", (_root(context),),
        "Root credentials used: " + ", ".join(recent) + ".",
        "Confirm who used root and why; use IAM roles for daily work and keep root for "
        "the few tasks that need it.",
    )]


def _password_policy_command(t: Thresholds) -> str:
    flags = [f"--minimum-password-length {t.password_min_length}"]
    flags += [flag for flag, wanted in (
        ("--require-symbols", t.password_require_symbols),
        ("--require-numbers", t.password_require_numbers),
        ("--require-uppercase-characters", t.password_require_uppercase),
        ("--require-lowercase-characters", t.password_require_lowercase),
        ("--hard-expiry", t.password_hard_expiry),
    ) if wanted]
    flags += [f"--max-password-age {t.password_max_age_days}",
              f"--password-reuse-prevention {t.password_reuse_prevention}"]
    return "aws iam update-account-password-policy " + " ".join(flags)


def password_policy_gaps(policy: PasswordPolicy, t: Thresholds) -> list[tuple[str, str]]:
    """(setting, what falls short of the baseline) for each setting that does."""
    gaps = []
    if policy.minimum_length < t.password_min_length:
        gaps.append(("min_length", f"minimum length is {policy.minimum_length}, "
                                   f"baseline {t.password_min_length}"))
    for setting, wanted, actual in (
        ("require_symbols", t.password_require_symbols, policy.require_symbols),
        ("require_numbers", t.password_require_numbers, policy.require_numbers),
        ("require_uppercase", t.password_require_uppercase, policy.require_uppercase),
        ("require_lowercase", t.password_require_lowercase, policy.require_lowercase),
        ("hard_expiry", t.password_hard_expiry, policy.hard_expiry),
    ):
        if wanted and not actual:
            gaps.append((setting, f"{setting.replace('_', ' ')} is off"))
    max_age = policy.max_age_days if policy.expire_passwords else None
    if t.password_max_age_days and (max_age is None or max_age > t.password_max_age_days):
        gaps.append(("max_age", f"maximum age is {max_age or 'unlimited'}, "
                                f"baseline {t.password_max_age_days} days"))
    if (policy.reuse_prevention or 0) < t.password_reuse_prevention:
        gaps.append(("reuse_prevention", f"reuse prevention is {policy.reuse_prevention or 0}, "
                                         f"baseline {t.password_reuse_prevention}"))
    return gaps


def check_password_policy(context: CheckContext) -> list[Finding]:
    if not context.snapshot.password_policy_read:
        return []
    policy, fix = context.snapshot.password_policy, _password_policy_command(context.thresholds)
    if policy is None:
        return [Finding(
            "password_policy.missing", Severity.MEDIUM, "No account password policy",
            (context.account,), "AWS defaults apply: 8 characters, no expiry, no reuse check.",
            f"Set a password policy: {fix}",
        )]
    return [Finding(
        "password_policy.weak", Severity.MEDIUM, f"Password policy: {gap}", (context.account,),
        f"The account password policy is below the baseline: {gap}.", f"Run: {fix}",
        subject=setting,
    ) for setting, gap in password_policy_gaps(policy, context.thresholds)]


def check_console_without_mfa(context: CheckContext) -> list[Finding]:
    return [Finding(
        "user.console_without_mfa", Severity.HIGH, f"{row.user} signs in without MFA",
        (_user(row),), "The user has a console password and no MFA device.",
        f"Ask {row.user} to enable MFA, or remove the console password: "
        f"aws iam delete-login-profile --user-name {row.user}",
        iam_user_name=row.user,
    ) for row in _user_rows(context) if row.password_enabled and not row.mfa_active]


def idle_reason(
    now: datetime, last_used: datetime | None, created: datetime | None, limit: int
) -> str | None:
    """Why a credential counts as unused, or None; never-used ones count from creation."""
    if last_used is not None:
        days = _age_days(now, last_used)
        return f"last used {last_used:%Y-%m-%d} ({days} days ago)" if days >= limit else None
    if created is None:
        return None
    days = _age_days(now, created)
    if days < limit:
        return None
    return f"never used since it was created on {created:%Y-%m-%d} ({days} days ago)"


def _unused_finding(
    row: CredentialReportRow, subject: str, label: str, why: str, remediation: str
) -> Finding:
    return Finding(
        "user.unused_credential", Severity.MEDIUM, f"{row.user}: unused {label}",
        (_user(row),), f"The {label} was {why}.", remediation,
        iam_user_name=row.user, subject=subject,
    )


def check_unused_credentials(context: CheckContext) -> list[Finding]:
    limit, now, findings = context.thresholds.unused_after_days, context.now, []
    for row in _user_rows(context):
        set_on = row.password_last_changed or row.user_creation_time
        why = idle_reason(now, row.password_last_used, set_on, limit)
        if row.password_enabled and why:
            findings.append(_unused_finding(
                row, "password", "password", why, "Remove the console password: "
                f"aws iam delete-login-profile --user-name {row.user}"))
        for slot in (s for s in row.access_keys() if s.key.is_active):
            why = idle_reason(now, slot.key.last_used, slot.key.created, limit)
            if why:
                findings.append(_unused_finding(
                    row, slot.name, slot.label, why, "Deactivate, then delete the key: aws iam "
                    f"update-access-key --user-name {row.user} --access-key-id <id> "
                    "--status Inactive"))
    return findings


def _key_age_finding(
    row: CredentialReportRow, slot: ReportedKey, now: datetime, t: Thresholds
) -> Finding | None:
    created = slot.key.created
    if created is None:
        return None
    age = _age_days(now, created)
    rotate = f"Rotate it: /access rotate-key (as {row.user}'s owner)."
    if age > t.key_max_age_days:
        return Finding("user.access_key_too_old", Severity.MEDIUM,
                       f"{row.user}: {slot.label} is {age} days old", (_user(row),),
                       f"Created {created:%Y-%m-%d}; the limit is {t.key_max_age_days} "
                       "days.", rotate, iam_user_name=row.user, subject=slot.name)
    if age >= t.key_max_age_days - t.key_expiry_warning_days:
        left = t.key_max_age_days - age
        return Finding("user.access_key_expiring", Severity.LOW,
                       f"{row.user}: {slot.label} reaches the age limit in {left} days",
                       (_user(row),), f"Created {created:%Y-%m-%d}; the limit is "
                       f"{t.key_max_age_days} days.", rotate, iam_user_name=row.user,
                       subject=slot.name)
    return None


def check_access_key_age(context: CheckContext) -> list[Finding]:
    findings = (
        _key_age_finding(row, slot, context.now, context.thresholds)
        for row in _user_rows(context) for slot in row.access_keys() if slot.key.is_active
    )
    return [finding for finding in findings if finding is not None]


def check_two_active_keys(context: CheckContext) -> list[Finding]:
    return [Finding(
        "user.two_active_keys", Severity.LOW, f"{row.user} has two active access keys",
        (_user(row),), "Two active keys usually mean a rotation that was never finished.",
        "Find which key is still used (last used date), then deactivate the other.",
        iam_user_name=row.user,
    ) for row in _user_rows(context) if row.access_key_1_active and row.access_key_2_active]


def check_root_key_age_and_use(context: CheckContext) -> list[Finding]:
    """Root's own keys judged like any user's: too old, or unused."""
    root, t, findings = _root_row(context), context.thresholds, []
    for slot in (s for s in (root.access_keys() if root else ()) if s.key.is_active):
        created = slot.key.created
        age = _age_days(context.now, created) if created else None
        if age is not None and age > t.key_max_age_days:
            findings.append(Finding(
                "root.access_key_too_old", Severity.CRITICAL,
                f"Root user's access key {slot.slot} is {age} days old", (_root(context),),
                f"Created {created:%Y-%m-%d}; the limit is {t.key_max_age_days} days.",
                "Delete root's access keys (sign in as root > Security credentials); "
                "automation belongs on IAM roles.", subject=slot.name))
        why = idle_reason(context.now, slot.key.last_used, created, t.unused_after_days)
        if why:
            findings.append(Finding(
                "root.unused_access_key", Severity.HIGH,
                f"Root user's access key {slot.slot} is unused", (_root(context),),
                f"Root's access key {slot.slot} was {why}: nothing needs it.",
                "Delete it now (sign in as root > Security credentials).", subject=slot.name))
    return findings


CREDENTIAL_CHECKS: tuple[Callable[[CheckContext], list[Finding]], ...] = (
    check_root_mfa, check_root_access_keys, check_root_recent_use, check_root_key_age_and_use,
    check_password_policy,
    check_console_without_mfa, check_unused_credentials, check_access_key_age,
    check_two_active_keys,
)
