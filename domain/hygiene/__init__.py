"""The IAM hygiene checks: the account snapshot they read, the findings they make, the runner."""

from domain.hygiene.checks import run_checks
from domain.hygiene.cloudtrail import BASELINE_DAYS
from domain.hygiene.findings import CheckContext, Finding, Principal, Severity, Thresholds
from domain.hygiene.model import (
    ROOT_USER,
    TRAIL_WINDOW,
    AccountSnapshot,
    AccountSummary,
    AttachedPolicy,
    AuthorizationDetails,
    CredentialReport,
    CredentialReportRow,
    IamGroup,
    IamRole,
    IamUserDetail,
    InlinePolicy,
    ManagedPolicy,
    MissingSource,
    PasswordPolicy,
    ReportedKey,
    ServiceLastAccess,
    ServiceUse,
    TrailEvent,
    moment,
)

__all__ = [
    "BASELINE_DAYS", "ROOT_USER", "TRAIL_WINDOW", "AccountSnapshot",
    "AccountSummary", "AttachedPolicy", "AuthorizationDetails", "CheckContext",
    "CredentialReport", "CredentialReportRow", "Finding", "IamGroup", "IamRole",
    "IamUserDetail", "InlinePolicy", "ManagedPolicy", "MissingSource", "PasswordPolicy",
    "Principal", "ReportedKey", "ServiceLastAccess", "ServiceUse", "Severity", "Thresholds",
    "TrailEvent", "moment", "run_checks",
]
