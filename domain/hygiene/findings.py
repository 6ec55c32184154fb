"""Findings and what every check reads: severity, principal, thresholds and the check context."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cached_property

from domain.hygiene.model import AccountSnapshot, IamRole
from domain.hygiene.principals import PrincipalPolicies, principal_policies


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


@dataclass(frozen=True)
class Principal:
    """Who a finding is about: kind is root, user, role or account."""

    kind: str
    name: str
    arn: str


@dataclass(frozen=True)
class Finding:
    check_id: str
    severity: Severity
    title: str
    principals: tuple[Principal, ...]
    detail: str
    remediation: str
    iam_user_name: str | None = None
    subject: str = ""
    scope: str = ""  # in an organisation-wide digest: the account id (or "org") it belongs to

    @property
    def key(self) -> str:
        """Stable identity across days: check id, principals and subject (such as a key slot),
        after `scope/` when the finding belongs to one account of an organisation."""
        who = "+".join(sorted(p.arn or p.name for p in self.principals))
        key = f"{self.check_id}|{who}|{self.subject}" if self.subject else f"{self.check_id}|{who}"
        return f"{self.scope}/{key}" if self.scope else key


@dataclass(frozen=True)
class Thresholds:
    """Digest settings; the password baseline follows the CIS AWS benchmark."""

    unused_after_days: int = 90
    key_max_age_days: int = 90
    key_expiry_warning_days: int = 7
    min_admins: int = 2
    max_admins: int = 5
    password_min_length: int = 14
    password_require_symbols: bool = True
    password_require_numbers: bool = True
    password_require_uppercase: bool = True
    password_require_lowercase: bool = True
    password_max_age_days: int = 90
    password_reuse_prevention: int = 24
    password_hard_expiry: bool = False
    denied_spike_min_events: int = 10
    denied_spike_factor: float = 3.0
    require_hardware_mfa: bool = False
    max_session_for_humans: int = 4 * 3600


@dataclass(frozen=True)
class CheckContext:
    """What every check reads: the snapshot, the settings and the inputs from config."""

    snapshot: AccountSnapshot
    thresholds: Thresholds
    now: datetime
    role_grant_limits: Mapping[str, int]
    gatehouse_principal_arns: frozenset[str]
    denied_baseline: Mapping[str, int]

    @property
    def account(self) -> Principal:
        account_id = self.snapshot.account_id or "unknown"
        return Principal("account", account_id, f"arn:aws:iam::{account_id}:root")

    @cached_property
    def principals(self) -> tuple[PrincipalPolicies, ...]:
        """Users and roles with their effective policies, computed once per digest."""
        authorization = self.snapshot.authorization
        return principal_policies(authorization) if authorization else ()

    @cached_property
    def admins(self) -> tuple[PrincipalPolicies, ...]:
        return tuple(p for p in self.principals if p.is_admin)

    @property
    def roles(self) -> tuple[IamRole, ...]:
        authorization = self.snapshot.authorization
        return authorization.roles if authorization else ()
