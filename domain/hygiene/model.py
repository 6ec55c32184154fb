"""What the hygiene digest reads: one account snapshot, typed from IAM and CloudTrail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from domain.iam import ACTIVE, INACTIVE, AccessKey, IamUser

ROOT_USER = "<root_account>"
SERVICE_LINKED_ROLE_PATH = "/aws-service-role/"
TRAIL_WINDOW = timedelta(hours=24)
CLOCK_FORMAT = "%H:%M"
MOMENT_FORMAT = f"%Y-%m-%d {CLOCK_FORMAT} UTC"


def moment(at: datetime) -> str:
    """The one way the digest writes a time: '2026-06-01 14:02 UTC'."""
    return at.strftime(MOMENT_FORMAT)


def time_span(first: datetime, last: datetime) -> str:
    """'2026-06-01 14:02-14:40 UTC'."""
    return f"{moment(first).removesuffix(' UTC')}-{last.strftime(CLOCK_FORMAT)} UTC"


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

    def access_keys(self) -> list[ReportedKey]:
        """Both key slots of the row, active or not."""
        return [
            ReportedKey(1, _reported_key(
                self.access_key_1_active, self.access_key_1_last_rotated,
                self.access_key_1_last_used_date, self.access_key_1_last_used_service,
                self.access_key_1_last_used_region)),
            ReportedKey(2, _reported_key(
                self.access_key_2_active, self.access_key_2_last_rotated,
                self.access_key_2_last_used_date, self.access_key_2_last_used_service,
                self.access_key_2_last_used_region)),
        ]


def _reported_key(active: bool, last_rotated: datetime | None, last_used: datetime | None,
                  service: str | None, region: str | None) -> AccessKey:
    """A slot's columns as the shared access-key model; the report names no key id."""
    return AccessKey(key_id=None, status=ACTIVE if active else INACTIVE, created=last_rotated,
                     last_used=last_used, last_used_service=service, last_used_region=region)


@dataclass(frozen=True)
class ReportedKey:
    """An access key as the credential report shows it: its slot (1 or 2) beside the key."""

    slot: int
    key: AccessKey

    @property
    def name(self) -> str:
        """The slot's column name, kept as a finding's subject: 'access_key_1'."""
        return f"access_key_{self.slot}"

    @property
    def label(self) -> str:
        """The key in words: 'access key 1'."""
        return f"access key {self.slot}"


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
class IamUserDetail(IamUser):
    """The shared IAM user as GetAccountAuthorizationDetails shows it: path, groups, policies."""

    path: str = "/"
    groups: tuple[str, ...] = ()
    attached_policies: tuple[AttachedPolicy, ...] = ()
    inline_policies: tuple[InlinePolicy, ...] = ()
    permissions_boundary: str | None = None


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
    permissions_boundary: str | None = None

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
    attachment_count: int | None = None

    @property
    def is_aws_managed(self) -> bool:
        return self.arn.startswith("arn:aws:iam::aws:policy/")


@dataclass(frozen=True)
class AuthorizationDetails:
    users: tuple[IamUserDetail, ...] = ()
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
class ServiceUse:
    """One service a principal's policies grant, and when it last used it (None: never)."""

    namespace: str
    last_used: datetime | None


@dataclass(frozen=True)
class ServiceLastAccess:
    """IAM's service last-accessed data for one user or role."""

    arn: str
    services: tuple[ServiceUse, ...]


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
    virtual_mfa_arns: frozenset[str] | None = None
    last_accessed: tuple[ServiceLastAccess, ...] | None = None
    missing: tuple[MissingSource, ...] = ()

    def user_tags(self, user_name: str) -> Mapping[str, str]:
        """Tags of an IAM user, used to find the Slack owner of a finding."""
        users = self.authorization.users if self.authorization else ()
        return next((user.tags for user in users if user.name == user_name), {})
