"""IAM hygiene digest model: account snapshot, thresholds, findings and the check runner."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

ROOT_USER = "<root_account>"
SERVICE_LINKED_ROLE_PATH = "/aws-service-role/"
TRAIL_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class CredentialReportRow:
    """One row of the IAM credential report, all 22 columns typed; None for N/A."""

    user: str
    arn: str
    user_creation_time: datetime | None
    password_enabled: bool | None
    password_last_used: datetime | None
    password_last_changed: datetime | None
    password_next_rotation: datetime | None
    mfa_active: bool
    access_key_1_active: bool
    access_key_1_last_rotated: datetime | None
    access_key_1_last_used_date: datetime | None
    access_key_1_last_used_region: str | None
    access_key_1_last_used_service: str | None
    access_key_2_active: bool
    access_key_2_last_rotated: datetime | None
    access_key_2_last_used_date: datetime | None
    access_key_2_last_used_region: str | None
    access_key_2_last_used_service: str | None
    cert_1_active: bool
    cert_1_last_rotated: datetime | None
    cert_2_active: bool
    cert_2_last_rotated: datetime | None

    @property
    def is_root(self) -> bool:
        return self.user == ROOT_USER

    def access_keys(self) -> list[AccessKeySlot]:
        """Both key slots of the row, active or not."""
        return [
            AccessKeySlot(1, self.access_key_1_active, self.access_key_1_last_rotated,
                          self.access_key_1_last_used_date),
            AccessKeySlot(2, self.access_key_2_active, self.access_key_2_last_rotated,
                          self.access_key_2_last_used_date),
        ]


@dataclass(frozen=True)
class AccessKeySlot:
    """An access key as the credential report shows it; `last_rotated` is its creation."""

    slot: int
    active: bool
    last_rotated: datetime | None
    last_used: datetime | None

    @property
    def name(self) -> str:
        return f"access_key_{self.slot}"


@dataclass(frozen=True)
class CredentialReport:
    generated_time: datetime
    rows: tuple[CredentialReportRow, ...]

    @property
    def root(self) -> CredentialReportRow | None:
        return next((row for row in self.rows if row.is_root), None)

    @property
    def users(self) -> tuple[CredentialReportRow, ...]:
        return tuple(row for row in self.rows if not row.is_root)


@dataclass(frozen=True)
class AttachedPolicy:
    name: str
    arn: str


@dataclass(frozen=True)
class InlinePolicy:
    name: str
    document: dict[str, Any]


@dataclass(frozen=True)
class IamUser:
    name: str
    arn: str
    path: str
    created: datetime | None
    groups: tuple[str, ...] = ()
    attached_policies: tuple[AttachedPolicy, ...] = ()
    inline_policies: tuple[InlinePolicy, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IamGroup:
    name: str
    arn: str
    attached_policies: tuple[AttachedPolicy, ...] = ()
    inline_policies: tuple[InlinePolicy, ...] = ()


@dataclass(frozen=True)
class IamRole:
    """A role; `max_session_duration` is None when ListRoles could not be read."""

    name: str
    arn: str
    path: str
    created: datetime | None
    trust_policy: dict[str, Any]
    max_session_duration: int | None = None
    last_used: datetime | None = None
    last_used_region: str | None = None
    attached_policies: tuple[AttachedPolicy, ...] = ()
    inline_policies: tuple[InlinePolicy, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_service_linked(self) -> bool:
        return self.path.startswith(SERVICE_LINKED_ROLE_PATH)


@dataclass(frozen=True)
class ManagedPolicy:
    """A managed policy with the document of its default version."""

    name: str
    arn: str
    default_version_id: str
    document: dict[str, Any]


@dataclass(frozen=True)
class AuthorizationDetails:
    users: tuple[IamUser, ...] = ()
    groups: tuple[IamGroup, ...] = ()
    roles: tuple[IamRole, ...] = ()
    policies: tuple[ManagedPolicy, ...] = ()


@dataclass(frozen=True)
class AccountSummary:
    """GetAccountSummary's SummaryMap."""

    values: Mapping[str, int]

    @property
    def root_mfa_enabled(self) -> bool:
        return self.values.get("AccountMFAEnabled", 0) == 1

    @property
    def root_access_keys_present(self) -> bool:
        return self.values.get("AccountAccessKeysPresent", 0) == 1


@dataclass(frozen=True)
class PasswordPolicy:
    minimum_length: int
    require_symbols: bool
    require_numbers: bool
    require_uppercase: bool
    require_lowercase: bool
    allow_users_to_change: bool
    expire_passwords: bool
    max_age_days: int | None
    reuse_prevention: int | None
    hard_expiry: bool


@dataclass(frozen=True)
class TrailEvent:
    """One CloudTrail management event, reduced to what the checks read."""

    event_id: str
    time: datetime
    event_name: str
    event_source: str
    region: str
    principal_arn: str | None
    principal_type: str | None
    username: str | None
    session_issuer_arn: str | None = None
    source_ip: str | None = None
    error_code: str | None = None
    mfa_used: bool | None = None
    console_login_outcome: str | None = None
    read_only: bool | None = None

    @property
    def principal(self) -> str:
        """The best name for who acted: ARN, else user name, else 'unknown'."""
        return self.principal_arn or self.username or "unknown"


@dataclass(frozen=True)
class MissingSource:
    """A data source that could not be read, and why, in words."""

    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass(frozen=True)
class AccountSnapshot:
    """Everything collected for one digest; a None source was not read (see `missing`)."""

    collected_at: datetime
    account_id: str | None = None
    credential_report: CredentialReport | None = None
    authorization: AuthorizationDetails | None = None
    summary: AccountSummary | None = None
    password_policy: PasswordPolicy | None = None
    password_policy_read: bool = False
    events: tuple[TrailEvent, ...] = ()
    events_read: bool = False
    missing: tuple[MissingSource, ...] = ()

    def user_tags(self, user_name: str) -> Mapping[str, str]:
        """Tags of an IAM user, used to find the Slack owner of a finding."""
        users = self.authorization.users if self.authorization else ()
        return next((user.tags for user in users if user.name == user_name), {})


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

    @property
    def key(self) -> str:
        """Stable identity across days: check id, principals and subject (such as a key slot)."""
        who = "+".join(sorted(p.arn or p.name for p in self.principals))
        return f"{self.check_id}|{who}|{self.subject}" if self.subject else f"{self.check_id}|{who}"


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
    its AccessDenied count over the past 7 days.
    """
    # The check modules import this module's models, so they are imported here.
    from domain.hygiene_checks import CREDENTIAL_CHECKS
    from domain.hygiene_policy_checks import AUTHORIZATION_CHECKS
    from domain.hygiene_trail_checks import TRAIL_CHECKS

    context = CheckContext(
        snapshot, thresholds, now, role_grant_limits or {},
        frozenset(gatehouse_principal_arns), denied_baseline or {},
    )
    checks = CREDENTIAL_CHECKS + AUTHORIZATION_CHECKS + TRAIL_CHECKS
    findings = [finding for check in checks for finding in check(context)]
    return sorted(findings, key=lambda f: (f.severity.rank, f.key))
