"""Builders of hand-made hygiene snapshots for the pure check tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.hygiene import (
    ROOT_USER,
    AccountSnapshot,
    AttachedPolicy,
    AuthorizationDetails,
    CredentialReport,
    CredentialReportRow,
    Finding,
    IamRole,
    IamUserDetail,
    Thresholds,
    run_checks,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ACCOUNT = "123456789012"
ADMIN_DOC = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ_DOC = {"Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}
AWS_ADMIN = AttachedPolicy("AdministratorAccess", "arn:aws:iam::aws:policy/AdministratorAccess")


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def report_row(user: str = "alice", **changes) -> CredentialReportRow:
    columns = {
        "user": user, "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
        "user_creation_time": days_ago(400), "password_enabled": False,
        "password_last_used": None, "password_last_changed": None,
        "password_next_rotation": None, "mfa_active": True,
        "access_key_1_active": False, "access_key_1_last_rotated": None,
        "access_key_1_last_used_date": None, "access_key_1_last_used_region": None,
        "access_key_1_last_used_service": None, "access_key_2_active": False,
        "access_key_2_last_rotated": None, "access_key_2_last_used_date": None,
        "access_key_2_last_used_region": None, "access_key_2_last_used_service": None,
        "cert_1_active": False, "cert_1_last_rotated": None, "cert_2_active": False,
        "cert_2_last_rotated": None,
    }
    return CredentialReportRow(**{**columns, **changes})


def root_row(**changes) -> CredentialReportRow:
    return report_row(ROOT_USER, arn=f"arn:aws:iam::{ACCOUNT}:root", password_enabled=None,
                      **changes)


def user(name: str, **changes) -> IamUserDetail:
    created = changes.pop("created", days_ago(400))
    return IamUserDetail(name, f"arn:aws:iam::{ACCOUNT}:user/{name}", created=created, **changes)


def role(name: str, trust: dict | None = None, **changes) -> IamRole:
    trust = trust or {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                     "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]}
    defaults = {"created": days_ago(400), "last_used": days_ago(1), "max_session_duration": 3600}
    return IamRole(name, f"arn:aws:iam::{ACCOUNT}:role/{name}", changes.pop("path", "/"),
                   trust_policy=trust, **{**defaults, **changes})


def snapshot(rows=(), authorization=None, summary=None, events=(), **changes) -> AccountSnapshot:
    report = CredentialReport(days_ago(0.1), tuple(rows)) if rows else None
    return AccountSnapshot(
        collected_at=NOW, account_id=ACCOUNT, credential_report=report,
        authorization=authorization, summary=summary, events=tuple(events),
        events_read=bool(events), **changes,
    )


def check(
    snap: AccountSnapshot, check_id: str, thresholds: Thresholds | None = None, **inputs
) -> list[Finding]:
    findings = run_checks(snap, thresholds or Thresholds(), now=NOW, **inputs)
    return [finding for finding in findings if finding.check_id == check_id]


def admins_authorization(count: int) -> AuthorizationDetails:
    return AuthorizationDetails(users=tuple(
        user(f"admin{i}", attached_policies=(AWS_ADMIN,)) for i in range(count)
    ))
