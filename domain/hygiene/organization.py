"""Checks that only make sense across an organisation: outside trust, shared users, no policy."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from domain.hygiene.findings import Finding, Principal, Severity
from domain.hygiene.model import AccountSnapshot, IamRole
from domain.hygiene.statements import as_list, raw_statements

ACCOUNT_ID = re.compile(r"^\d{12}$")
ORG_CONDITION_KEYS = frozenset({"aws:principalorgid", "aws:principalorgpaths"})


@dataclass(frozen=True)
class TrustingRole:
    """A role and the accounts its trust policy lets in (not pinned to an organisation)."""

    name: str
    arn: str
    trusted: tuple[str, ...]


@dataclass(frozen=True)
class OrgFacts:
    """The little of one account's snapshot the cross-account checks read, kept after the
    snapshot itself is dropped: roles trusting other accounts, users with active keys, and
    the password policy."""

    trusting_roles: tuple[TrustingRole, ...] = ()
    key_holders: tuple[tuple[str, str], ...] = ()  # (user name, ARN) with an active key
    password_policy_read: bool = False
    has_password_policy: bool = False


@dataclass(frozen=True)
class OrgAccount:
    """One account of the organisation as the cross-account checks see it."""

    name: str
    id: str
    facts: OrgFacts


def trusted_account(principal: str) -> str | None:
    """The account an AWS principal in a trust policy belongs to (an id or an IAM/STS ARN)."""
    if ACCOUNT_ID.match(principal):
        return principal
    parts = principal.split(":")
    return parts[4] if len(parts) > 5 and ACCOUNT_ID.match(parts[4]) else None


def _org_bound(statement: Mapping) -> bool:
    """A condition on aws:PrincipalOrgID/OrgPaths keeps the role inside an organisation."""
    condition = statement.get("Condition") or {}
    return any(key.lower() in ORG_CONDITION_KEYS for block in condition.values()
               if isinstance(block, dict) for key in block)


def trusted_accounts(role: IamRole) -> list[str]:
    """Every account the role's trust policy lets assume it, outside org-pinned statements."""
    found: list[str] = []
    for statement in raw_statements(role.trust_policy):
        principal = statement.get("Principal")
        if statement.get("Effect") != "Allow" or not isinstance(principal, dict) \
                or _org_bound(statement):
            continue
        for value in as_list(principal.get("AWS")):
            account = trusted_account(str(value))
            if account and account not in found:
                found.append(account)
    return found


def outside_accounts(role: IamRole, known: frozenset[str]) -> list[str]:
    """Accounts outside `known` that the role's trust policy lets assume it."""
    return [account for account in trusted_accounts(role) if account not in known]


def org_facts(snapshot: AccountSnapshot) -> OrgFacts:
    """What the cross-account checks need of one account's snapshot, and nothing more."""
    roles = snapshot.authorization.roles if snapshot.authorization else ()
    report = snapshot.credential_report
    return OrgFacts(
        trusting_roles=tuple(TrustingRole(role.name, role.arn, tuple(trusted))
                             for role in roles if (trusted := trusted_accounts(role))),
        key_holders=tuple((row.user, row.arn) for row in (report.users if report else ())
                          if any(slot.key.is_active for slot in row.access_keys())),
        password_policy_read=snapshot.password_policy_read,
        has_password_policy=snapshot.password_policy is not None)


def roles_trusting_outside(accounts: list[OrgAccount],
                           also_known: frozenset[str] = frozenset()) -> list[Finding]:
    """Roles whose trust names an account that is neither one of `accounts` nor `also_known`
    (Gatehouse's own account, which the manage roles trust)."""
    known = frozenset(account.id for account in accounts) | also_known
    findings = []
    for account in accounts:
        for role in account.facts.trusting_roles:
            for outside in (trusted for trusted in role.trusted if trusted not in known):
                findings.append(Finding(
                    "org.role_trusts_outside", Severity.HIGH,
                    f"Role {role.name} in {account.name} trusts account {outside}, outside "
                    "the organisation", (Principal("role", role.name, role.arn),),
                    f"The trust policy of {role.arn} lets principals of account {outside} "
                    "assume it; that account is not one Gatehouse knows in this organisation.",
                    "Remove that account from the trust policy, or pin it with an "
                    "aws:PrincipalOrgID condition (or sts:ExternalId for a vendor you chose).",
                    subject=outside))
    return findings


def users_with_keys_in_many_accounts(accounts: list[OrgAccount]) -> list[Finding]:
    holders: dict[str, list[tuple[OrgAccount, str]]] = {}
    for account in accounts:
        for user, arn in account.facts.key_holders:
            holders.setdefault(user, []).append((account, arn))
    return [Finding(
        "org.user_keys_in_many_accounts", Severity.MEDIUM,
        f"IAM user {name} has access keys in {len(found)} accounts",
        tuple(Principal("user", name, arn) for _, arn in found),
        f"An IAM user named {name} holds active access keys in "
        f"{', '.join(account.name for account, _ in found)}: one person or system with "
        "long-lived keys in each account, rotated and revoked separately.",
        "Give it one identity (a role assumed from one account, or Identity Center) and "
        "delete the access keys it no longer needs.")
        for name, found in sorted(holders.items()) if len(found) > 1]


def accounts_without_password_policy(accounts: list[OrgAccount]) -> list[Finding]:
    read = [a for a in accounts if a.facts.password_policy_read]
    bare = [a for a in read if not a.facts.has_password_policy]
    if not bare:
        return []
    return [Finding(
        "org.accounts_without_password_policy", Severity.MEDIUM,
        f"{len(bare)} of {len(read)} accounts read have no password policy",
        tuple(Principal("account", a.name, f"arn:aws:iam::{a.id}:root") for a in bare),
        "AWS defaults apply there (8 characters, no expiry, no reuse check): "
        f"{', '.join(a.name for a in bare)}.",
        "Set the same password policy in every account (aws iam "
        "update-account-password-policy, or an organisation-wide baseline).")]


def org_checks(accounts: list[OrgAccount],
               also_known: frozenset[str] = frozenset()) -> list[Finding]:
    """Every cross-account check over the accounts that could be read."""
    findings = (roles_trusting_outside(accounts, also_known)
                + users_with_keys_in_many_accounts(accounts)
                + accounts_without_password_policy(accounts))
    return sorted(findings, key=lambda f: (f.severity.rank, f.key))
