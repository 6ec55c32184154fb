"""IAM edge for grants: role limits, the session policy, and inline denies for early revoke."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from botocore.client import BaseClient

from aws.errors import AwsError, aws_errors

REVOKE_POLICY_PREFIX = "gatehouse-revoke-"
MAX_POLICY_NAME_CHARS = 128
_ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::\d{12}:role/(?:[\w+=,.@/-]*/)?([\w+=,.@-]{1,64})$")
_POLICY_NAME_FORBIDDEN = re.compile(r"[^\w+=,.@-]", re.ASCII)


@dataclass(frozen=True)
class RevokeDeny:
    """The revoke deny now on a role: its policy name and the cut-off it enforces."""

    policy_name: str
    issued_before: datetime


def role_name_from_arn(role_arn: str) -> str:
    """`arn:aws:iam::123456789012:role/team/Admin` -> `Admin` (paths are not part of the name)."""
    match = _ROLE_ARN.match(role_arn)
    if not match:
        raise AwsError(f"'{role_arn}' is not an IAM role ARN", "InvalidArn")
    return match.group(1)


def account_of_role(role_arn: str) -> str:
    """`arn:aws:iam::123456789012:role/Admin` -> `123456789012`."""
    role_name_from_arn(role_arn)  # refuses anything that is not a role ARN
    return role_arn.split(":")[4]


def role_max_session_seconds(iam: BaseClient, role_arn: str) -> int:
    """The role's MaxSessionDuration, the ceiling for any grant on it."""
    role_name = role_name_from_arn(role_arn)
    with aws_errors(role_arn):
        role = iam.get_role(RoleName=role_name)["Role"]
    return int(role["MaxSessionDuration"])


def aws_time(moment: datetime) -> str:
    """An aware datetime as the UTC ISO form IAM conditions compare, `2024-05-01T12:00:00Z`."""
    if moment.tzinfo is None:
        raise ValueError("IAM condition times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_session_policy(*, source_ips: list[str], ends_at: datetime) -> dict:
    """The session policy for a grant: usable until `ends_at`, from `source_ips` when given."""
    conditions: dict[str, dict] = {"DateLessThan": {"aws:CurrentTime": aws_time(ends_at)}}
    if source_ips:
        conditions["IpAddress"] = {"aws:SourceIp": list(source_ips)}
    # A session policy can only narrow what the role allows (the effective permissions are the
    # intersection), so Allow */* plus conditions grants the role's rights, no more, and only
    # while the conditions hold.
    statement = {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": conditions}
    return {"Version": "2012-10-17", "Statement": [statement]}


def build_revoke_deny(*, source_identity: str, issued_before: datetime) -> dict:
    """Deny everything to sessions of `source_identity` whose token was issued before the time."""
    conditions = {
        "StringEquals": {"aws:SourceIdentity": source_identity},
        "DateLessThan": {"aws:TokenIssueTime": aws_time(issued_before)},
    }
    statement = {
        "Sid": "GatehouseRevoke",
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": conditions,
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


def revoke_policy_name(source_identity: str) -> str:
    """The one revoke deny of a SourceIdentity on a role: readable, valid, ≤ 128 characters.

    The readable part is cut and cleaned; a short hash of the exact identity keeps two
    identities that clean to the same text apart.
    """
    digest = hashlib.sha256(source_identity.encode()).hexdigest()[:12]
    readable = _POLICY_NAME_FORBIDDEN.sub("_", source_identity.strip())[:80]
    return f"{REVOKE_POLICY_PREFIX}{readable}-{digest}"[:MAX_POLICY_NAME_CHARS]


def put_revoke_deny(
    iam: BaseClient, *, role_arn: str, source_identity: str, issued_before: datetime
) -> RevokeDeny:
    """Deny sessions of `source_identity` on the role issued before `issued_before`.

    One inline policy per (role, SourceIdentity), overwritten with the latest cut-off, so
    repeated revokes never fill the role's 10,240-character inline-policy quota. A cut-off is
    never moved back: a later revoke of the same person keeps the later one.
    """
    name = revoke_policy_name(source_identity)
    role_name = role_name_from_arn(role_arn)
    if issued_before.microsecond:  # IAM compares whole seconds: round up, never let one through
        issued_before = issued_before.replace(microsecond=0) + timedelta(seconds=1)
    for _ in range(3):  # write, read back: a concurrent revoke may have written an older cut-off
        current = _stored_cutoff(iam, role_name, name, role_arn)
        cutoff = max(issued_before, current) if current else issued_before
        document = build_revoke_deny(source_identity=source_identity, issued_before=cutoff)
        with aws_errors(role_arn):
            iam.put_role_policy(RoleName=role_name, PolicyName=name,
                                PolicyDocument=json.dumps(document, separators=(",", ":")))
        stored = _stored_cutoff(iam, role_name, name, role_arn)
        if stored is not None and stored >= issued_before:
            return RevokeDeny(policy_name=name, issued_before=stored)
    raise AwsError(f"the revoke deny on {role_arn} kept being overwritten with an older "
                   "cut-off", "ConcurrentModification")


def remove_revoke_deny(iam: BaseClient, *, role_arn: str, policy_name: str,
                       issued_before: datetime | None = None) -> bool:
    """Delete the revoke deny once its cut-off is `issued_before` or earlier.

    False when it is already gone, or when a later revoke moved its cut-off on (that revoke's
    own removal deletes it later), so reruns are safe.
    """
    role_name = role_name_from_arn(role_arn)
    if issued_before is not None:
        current = _stored_cutoff(iam, role_name, policy_name, role_arn)
        if current is None or current > issued_before:
            return False
    try:
        with aws_errors(role_arn):
            iam.delete_role_policy(RoleName=role_name, PolicyName=policy_name)
    except AwsError as error:
        if error.code == "NoSuchEntity":
            return False
        raise
    return True


def _stored_cutoff(iam: BaseClient, role_name: str, policy_name: str,
                   role_arn: str) -> datetime | None:
    """The cut-off of the revoke deny stored on the role, or None when there is none."""
    try:
        with aws_errors(role_arn):
            document = iam.get_role_policy(RoleName=role_name,
                                           PolicyName=policy_name)["PolicyDocument"]
    except AwsError as error:
        if error.code == "NoSuchEntity":
            return None
        raise
    return revoke_cutoff(document)


def revoke_cutoff(document: dict | str) -> datetime | None:
    """The `aws:TokenIssueTime` cut-off of a revoke deny document (IAM may return it encoded)."""
    if isinstance(document, str):
        document = json.loads(unquote(document))
    for statement in document.get("Statement", []):
        when = statement.get("Condition", {}).get("DateLessThan", {}).get("aws:TokenIssueTime")
        if when:
            return datetime.strptime(when, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return None


def list_revoke_denies(iam: BaseClient, role_arn: str) -> list[str]:
    """Names of the revoke denies currently attached to the role."""
    role_name = role_name_from_arn(role_arn)
    with aws_errors(role_arn):
        pages = iam.get_paginator("list_role_policies").paginate(RoleName=role_name)
        names = [name for page in pages for name in page["PolicyNames"]]
    return [name for name in names if name.startswith(REVOKE_POLICY_PREFIX)]


# --- the permissions boundary that contains the bot's PutRolePolicy (deploy/) -----------------

TARGET_BOUNDARY_NAME = "GatehouseTargetBoundary"
_CALLER_ARN = re.compile(
    r"^arn:(aws[\w-]*):(?:iam::(\d{12}):role/(?:[\w+=,.@/-]*/)?|sts::(\d{12}):assumed-role/)"
    r"([\w+=,.@-]{1,64})(?:/.*)?$")


def role_boundary_arn(iam: BaseClient, role_arn: str) -> str | None:
    """The ARN of the permissions boundary the role carries, or None when it has none."""
    with aws_errors(role_arn):
        role = iam.get_role(RoleName=role_name_from_arn(role_arn))["Role"]
    return (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")


def is_same_role(role_arn: str, caller_arn: str) -> bool:
    """True when `caller_arn` (GetCallerIdentity: a role or an assumed-role session) is the
    role `role_arn`; paths are ignored, since assumed-role ARNs do not carry them."""
    role, caller = _CALLER_ARN.match(role_arn), _CALLER_ARN.match(caller_arn)
    if not role or not caller:
        return False
    return (role.group(1), role.group(2) or role.group(3), role.group(4).lower()) == \
        (caller.group(1), caller.group(2) or caller.group(3), caller.group(4).lower())


def target_role_problems(key: str, role_arn: str, *, boundary_arn: str | None, caller_arn: str,
                         boundary_name: str = TARGET_BOUNDARY_NAME) -> list[str]:
    """check-config lines for one target role: it must carry the boundary, and not be Gatehouse."""
    problems = []
    if is_same_role(role_arn, caller_arn):
        problems.append(f"{key}: {role_arn} is Gatehouse's own identity ({caller_arn}); a target "
                        "role must be another role, or Gatehouse could widen its own rights")
    if not boundary_arn or boundary_arn.rsplit("/", 1)[-1] != boundary_name:
        carried = f"carries {boundary_arn}" if boundary_arn else "has no permissions boundary"
        problems.append(f"{key}: {role_arn} {carried}; attach the policy {boundary_name} "
                        "(deploy/permissions-boundary.json) as its permissions boundary, or "
                        "Gatehouse cannot revoke on it")
    return problems


def check_target_role(iam: BaseClient, key: str, role_arn: str, caller_arn: str) -> list[str]:
    """`target_role_problems` for a live role, read with GetRole."""
    try:
        boundary = role_boundary_arn(iam, role_arn)
    except AwsError as error:
        return [f"{key}: cannot read {role_arn}: {error.message}"]
    return target_role_problems(key, role_arn, boundary_arn=boundary, caller_arn=caller_arn)
