"""IAM collectors for the hygiene digest: account-wide calls only, returned as domain models."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import fields, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError

from domain.hygiene.model import (
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
    PasswordPolicy,
    ServiceLastAccess,
    ServiceUse,
)

BIG_PAGES = {"PageSize": 1000}  # IAM's largest page: fewer calls on big accounts
NOT_AVAILABLE = frozenset({"", "N/A", "no_information", "not_supported"})


class CredentialReportNotReady(Exception):
    """AWS was still generating the credential report after every poll."""


class LastAccessedNotReady(Exception):
    """A service last-accessed job failed or was still running after every poll."""


def _report_time(value: str) -> datetime | None:
    return None if value in NOT_AVAILABLE else datetime.fromisoformat(value).astimezone(UTC)


def _report_flag(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value)


_COLUMN_PARSERS: dict[str, Callable[[str], Any]] = {
    "str": str,
    "str | None": lambda value: None if value in NOT_AVAILABLE else value,
    "bool": lambda value: value == "true",
    "bool | None": _report_flag,
    "datetime | None": _report_time,
}


def parse_credential_report(content: bytes, generated_time: datetime) -> CredentialReport:
    """Parse the report's CSV; a missing column reads as N/A."""
    reader = csv.DictReader(io.StringIO(content.decode("utf-8")))
    rows = tuple(
        CredentialReportRow(**{
            column.name: _COLUMN_PARSERS[str(column.type)](raw.get(column.name) or "N/A")
            for column in fields(CredentialReportRow)
        })
        for raw in reader
    )
    return CredentialReport(generated_time=_aware(generated_time), rows=rows)


def fetch_credential_report(
    iam: Any,
    *,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = 8,
    first_delay: float = 2.0,
    max_delay: float = 30.0,
) -> CredentialReport:
    """Generate the report, polling with exponential backoff until AWS says COMPLETE."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        if iam.generate_credential_report()["State"] == "COMPLETE":
            response = iam.get_credential_report()
            return parse_credential_report(response["Content"], response["GeneratedTime"])
        if attempt < attempts:
            sleep(delay)
            delay = min(delay * 2, max_delay)
    raise CredentialReportNotReady(f"still being generated after {attempts} polls")


def _aware(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment else None


def _document(value: str | dict[str, Any] | None) -> dict[str, Any]:
    """A policy document; the API may hand it over URL-encoded."""
    if isinstance(value, str):
        return json.loads(unquote(value))
    return value or {}


def _attached(items: Iterable[dict[str, Any]]) -> tuple[AttachedPolicy, ...]:
    return tuple(AttachedPolicy(item["PolicyName"], item["PolicyArn"]) for item in items)


def _inline(items: Iterable[dict[str, Any]]) -> tuple[InlinePolicy, ...]:
    return tuple(InlinePolicy(i["PolicyName"], _document(i.get("PolicyDocument"))) for i in items)


def _tags(items: Iterable[dict[str, str]]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in items}


def _boundary(detail: dict[str, Any]) -> str | None:
    return (detail.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn") or None


def _user(detail: dict[str, Any]) -> IamUserDetail:
    return IamUserDetail(
        name=detail["UserName"], arn=detail["Arn"], user_id=detail.get("UserId", ""),
        created=_aware(detail.get("CreateDate")), tags=_tags(detail.get("Tags", [])),
        path=detail.get("Path", "/"), groups=tuple(detail.get("GroupList", [])),
        attached_policies=_attached(detail.get("AttachedManagedPolicies", [])),
        inline_policies=_inline(detail.get("UserPolicyList", [])),
        permissions_boundary=_boundary(detail),
    )


def _group(detail: dict[str, Any]) -> IamGroup:
    return IamGroup(
        name=detail["GroupName"], arn=detail["Arn"],
        attached_policies=_attached(detail.get("AttachedManagedPolicies", [])),
        inline_policies=_inline(detail.get("GroupPolicyList", [])),
    )


def _role(detail: dict[str, Any]) -> IamRole:
    last_used = detail.get("RoleLastUsed") or {}
    return IamRole(
        name=detail["RoleName"], arn=detail["Arn"], path=detail.get("Path", "/"),
        created=_aware(detail.get("CreateDate")),
        trust_policy=_document(detail.get("AssumeRolePolicyDocument")),
        max_session_duration=detail.get("MaxSessionDuration"),
        last_used=_aware(last_used.get("LastUsedDate")), last_used_region=last_used.get("Region"),
        attached_policies=_attached(detail.get("AttachedManagedPolicies", [])),
        inline_policies=_inline(detail.get("RolePolicyList", [])),
        tags=_tags(detail.get("Tags", [])), permissions_boundary=_boundary(detail),
    )


def _managed_policy(detail: dict[str, Any]) -> ManagedPolicy:
    default_id = detail.get("DefaultVersionId", "")
    versions = detail.get("PolicyVersionList", [])
    default = next((v for v in versions if v.get("IsDefaultVersion")), None) or next(
        (v for v in versions if v.get("VersionId") == default_id), {}
    )
    return ManagedPolicy(
        name=detail.get("PolicyName") or detail["Arn"].rsplit("/", 1)[-1], arn=detail["Arn"],
        default_version_id=default_id, document=_document(default.get("Document")),
        attachment_count=detail.get("AttachmentCount"),
    )


def fetch_authorization_details(iam: Any) -> AuthorizationDetails:
    """Users, groups, roles and managed policies, every page of GetAccountAuthorizationDetails."""
    users, groups, roles, policies = [], [], [], []
    for page in iam.get_paginator("get_account_authorization_details").paginate():
        users += [_user(detail) for detail in page.get("UserDetailList", [])]
        groups += [_group(detail) for detail in page.get("GroupDetailList", [])]
        roles += [_role(detail) for detail in page.get("RoleDetailList", [])]
        policies += [_managed_policy(detail) for detail in page.get("Policies", [])]
    return AuthorizationDetails(tuple(users), tuple(groups), tuple(roles), tuple(policies))


def fetch_role_session_durations(iam: Any) -> dict[str, int]:
    """Role ARN -> MaxSessionDuration, from ListRoles (the authorization details lack it)."""
    return {
        role["Arn"]: role["MaxSessionDuration"]
        for page in iam.get_paginator("list_roles").paginate(PaginationConfig=BIG_PAGES)
        for role in page.get("Roles", [])
        if "MaxSessionDuration" in role
    }


def with_session_durations(
    details: AuthorizationDetails, durations: dict[str, int]
) -> AuthorizationDetails:
    roles = tuple(
        replace(role, max_session_duration=durations.get(role.arn, role.max_session_duration))
        for role in details.roles
    )
    return replace(details, roles=roles)


def fetch_account_summary(iam: Any) -> AccountSummary:
    return AccountSummary(values=dict(iam.get_account_summary()["SummaryMap"]))


def fetch_password_policy(iam: Any) -> PasswordPolicy | None:
    """The account password policy, or None when there is none (AWS defaults apply)."""
    try:
        policy = iam.get_account_password_policy()["PasswordPolicy"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
            return None
        raise
    return PasswordPolicy(
        minimum_length=policy.get("MinimumPasswordLength", 8),
        require_symbols=policy.get("RequireSymbols", False),
        require_numbers=policy.get("RequireNumbers", False),
        require_uppercase=policy.get("RequireUppercaseCharacters", False),
        require_lowercase=policy.get("RequireLowercaseCharacters", False),
        allow_users_to_change=policy.get("AllowUsersToChangePassword", False),
        expire_passwords=policy.get("ExpirePasswords", False),
        max_age_days=policy.get("MaxPasswordAge"),
        reuse_prevention=policy.get("PasswordReusePrevention"),
        hard_expiry=policy.get("HardExpiry", False),
    )


def fetch_virtual_mfa_arns(iam: Any) -> frozenset[str]:
    """ARNs of the users (and root) whose assigned MFA device is a virtual one."""
    return frozenset(
        device["User"]["Arn"]
        for page in iam.get_paginator("list_virtual_mfa_devices").paginate(
            AssignmentStatus="Assigned", PaginationConfig=BIG_PAGES)
        for device in page.get("VirtualMFADevices", []) if device.get("User", {}).get("Arn")
    )


def _job_pages(iam: Any, job_id: str, sleep: Callable[[float], None],
               attempts: int, delay: float) -> list[dict[str, Any]]:
    """Every page of a finished last-accessed job, polling while it runs."""
    for attempt in range(attempts):
        page = iam.get_service_last_accessed_details(JobId=job_id, MaxItems=1000)
        if page["JobStatus"] == "FAILED":
            raise LastAccessedNotReady(f"job failed: {page.get('Error', {}).get('Message')}")
        if page["JobStatus"] == "COMPLETED":
            pages = [page]
            while pages[-1].get("IsTruncated"):
                pages.append(iam.get_service_last_accessed_details(
                    JobId=job_id, MaxItems=1000, Marker=pages[-1]["Marker"]))
            return pages
        if attempt < attempts - 1:
            sleep(min(delay * 2 ** attempt, 8.0))
    raise LastAccessedNotReady(f"still running after {attempts} polls")


def fetch_service_last_accessed(
    iam: Any, arns: Iterable[str], *, sleep: Callable[[float], None] = time.sleep,
    attempts: int = 8, first_delay: float = 1.0,
) -> tuple[ServiceLastAccess, ...]:
    """Services each principal's policies grant and their last use: all jobs started first,
    then read, so the waits overlap. Two calls a principal (more only past 1,000 services)."""
    jobs = {arn: iam.generate_service_last_accessed_details(Arn=arn)["JobId"] for arn in arns}
    found = []
    for arn, job_id in jobs.items():
        pages = _job_pages(iam, job_id, sleep, attempts, first_delay)
        found.append(ServiceLastAccess(arn, tuple(
            ServiceUse(item["ServiceNamespace"], _aware(item.get("LastAuthenticated")))
            for page in pages for item in page.get("ServicesLastAccessed", []))))
    return tuple(found)
