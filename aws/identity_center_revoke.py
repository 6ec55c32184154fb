"""Ending a user's open permission-set sessions: a deny in the set's inline policy, then
re-provisioning, as AWS documents for revoking active permission set sessions."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

from botocore.client import BaseClient

from aws.errors import AwsError, aws_errors
from aws.iam import aws_time
from aws.identity_center import DEFAULT_BACKOFF, Backoff, Sleep, follow, retry_conflicts
from domain.identity_center import Operation, SessionDeny

INLINE_POLICY_LIMIT = 32_768
SID_PREFIX = "GatehouseRevoke"
USER_ID_KEY = "identitystore:UserId"  # AWS: deterministic, unlike aws:userid (name or e-mail)
_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")
_POLICY_TIME = "%Y-%m-%dT%H:%M:%SZ"


def deny_sid(user_id: str) -> str:
    """The statement id of one user's deny on a permission set (a Sid is letters and digits)."""
    return SID_PREFIX + _NOT_ALPHANUMERIC.sub("", user_id)


def deny_statement(user_id: str, issued_before: datetime) -> dict:
    """Deny everything to that user's sessions whose credentials were issued before the cut-off;
    later sign-ins and every other user of the permission set are untouched."""
    return {"Sid": deny_sid(user_id), "Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"StringEquals": {USER_ID_KEY: user_id},
                          "DateLessThan": {"aws:TokenIssueTime": aws_time(issued_before)}}}


def parse_policy(text: str | None, target: str) -> dict:
    """The inline policy as a dict with a list of statements (empty when there is none)."""
    if not text or not text.strip():
        return {"Version": "2012-10-17", "Statement": []}
    try:
        policy = json.loads(text)
    except ValueError as error:
        raise AwsError(f"the inline policy of {target} is not valid JSON, so Gatehouse will not "
                       "change it; fix it in IAM Identity Center", "MalformedPolicy") from error
    statements = policy.get("Statement", [])
    return {**policy, "Statement": statements if isinstance(statements, list) else [statements]}


def stored_cutoff(policy: dict, user_id: str) -> datetime | None:
    """The cut-off of the user's deny in the policy, or None when it carries none."""
    for statement in policy["Statement"]:
        if statement.get("Sid") == deny_sid(user_id):
            when = statement.get("Condition", {}).get("DateLessThan", {}).get("aws:TokenIssueTime")
            return datetime.strptime(when, _POLICY_TIME).replace(tzinfo=UTC) if when else None
    return None


def with_deny(policy: dict, user_id: str, issued_before: datetime) -> dict:
    """The policy with the user's deny at `issued_before` (or the later cut-off it already
    had); every other statement kept as it was, in its place."""
    current = stored_cutoff(policy, user_id)
    statement = deny_statement(user_id, max(issued_before, current or issued_before))
    others = [s for s in policy["Statement"] if s.get("Sid") != statement["Sid"]]
    return {**policy, "Statement": [*others, statement]}


def without_deny(policy: dict, user_id: str) -> dict:
    """The policy with exactly the user's deny removed."""
    sid = deny_sid(user_id)
    return {**policy, "Statement": [s for s in policy["Statement"] if s.get("Sid") != sid]}


def policy_text(policy: dict, target: str) -> str:
    text = json.dumps(policy, separators=(",", ":"))
    if len(text) > INLINE_POLICY_LIMIT:
        raise AwsError(f"the inline policy of {target} would be {len(text):,} characters, over "
                       f"AWS's {INLINE_POLICY_LIMIT:,}; shorten its other statements or wait for "
                       "older revoke denies to be lifted", "LimitExceeded")
    return text


# --- on the permission set -------------------------------------------------------------------


def read_inline_policy(sso: BaseClient, instance_arn: str, permission_set_arn: str) -> dict:
    with aws_errors(f"the permission set {permission_set_arn}"):
        text = sso.get_inline_policy_for_permission_set(
            InstanceArn=instance_arn, PermissionSetArn=permission_set_arn).get("InlinePolicy")
    return parse_policy(text, f"the permission set {permission_set_arn}")


def write_inline_policy(sso: BaseClient, instance_arn: str, permission_set_arn: str,
                        policy: dict) -> None:
    """Store the policy; one without statements is deleted (AWS refuses an empty one)."""
    target = f"the permission set {permission_set_arn}"
    with aws_errors(target):
        if policy["Statement"]:
            sso.put_inline_policy_to_permission_set(
                InstanceArn=instance_arn, PermissionSetArn=permission_set_arn,
                InlinePolicy=policy_text(policy, target))
        else:
            sso.delete_inline_policy_from_permission_set(
                InstanceArn=instance_arn, PermissionSetArn=permission_set_arn)


def put_session_deny(sso: BaseClient, instance_arn: str, permission_set_arn: str, user_id: str,
                     issued_before: datetime, *, sleep: Sleep = time.sleep,
                     backoff: Backoff = DEFAULT_BACKOFF) -> SessionDeny:
    """End the user's sessions of the permission set issued before `issued_before`, in every
    account it is provisioned to; other users and later sign-ins are unaffected.

    A cut-off is never moved back, and the write is read back, since another revoke may write
    the same policy at the same time. Then the set is re-provisioned and followed.
    """
    if issued_before.microsecond:  # compared in whole seconds: round up, never let one through
        issued_before = issued_before.replace(microsecond=0) + timedelta(seconds=1)
    stored = None
    for _ in range(3):
        policy = read_inline_policy(sso, instance_arn, permission_set_arn)
        write_inline_policy(sso, instance_arn, permission_set_arn,
                            with_deny(policy, user_id, issued_before))
        stored = stored_cutoff(read_inline_policy(sso, instance_arn, permission_set_arn), user_id)
        if stored is not None and stored >= issued_before:
            break
    else:
        raise AwsError(f"the revoke deny on {permission_set_arn} kept being overwritten",
                       "ConcurrentModification")
    provision(sso, instance_arn, permission_set_arn, sleep=sleep, backoff=backoff)
    return SessionDeny(permission_set_arn=permission_set_arn, user_id=user_id,
                       issued_before=stored)


def remove_session_deny(sso: BaseClient, instance_arn: str, permission_set_arn: str,
                        user_id: str, issued_before: datetime | None = None, *,
                        sleep: Sleep = time.sleep, backoff: Backoff = DEFAULT_BACKOFF) -> bool:
    """Remove exactly the user's deny once its cut-off is `issued_before` or earlier, and
    re-provision. False when a later revoke moved the cut-off on (its own removal comes later).

    Safe to run again: when the deny is already gone but some account still runs an older
    version of the set, it is provisioned again.
    """
    policy = read_inline_policy(sso, instance_arn, permission_set_arn)
    current = stored_cutoff(policy, user_id)
    if current is not None and issued_before is not None and current > issued_before:
        return False
    if current is not None:
        write_inline_policy(sso, instance_arn, permission_set_arn, without_deny(policy, user_id))
    elif not stale_accounts(sso, instance_arn, permission_set_arn):
        return True
    provision(sso, instance_arn, permission_set_arn, sleep=sleep, backoff=backoff)
    return True


# --- provisioning ----------------------------------------------------------------------------


def provisioned_accounts(sso: BaseClient, instance_arn: str, permission_set_arn: str,
                         *, status: str | None = None) -> list[str]:
    """Accounts the permission set is provisioned to: what a re-provisioning touches."""
    args = {"InstanceArn": instance_arn, "PermissionSetArn": permission_set_arn}
    if status:
        args["ProvisioningStatus"] = status
    with aws_errors(f"the accounts of {permission_set_arn}"):
        pages = sso.get_paginator("list_accounts_for_provisioned_permission_set").paginate(**args)
        return [account for page in pages for account in page.get("AccountIds", [])]


def stale_accounts(sso: BaseClient, instance_arn: str, permission_set_arn: str) -> list[str]:
    """Accounts still running an older version of the permission set."""
    return provisioned_accounts(sso, instance_arn, permission_set_arn,
                                status="LATEST_PERMISSION_SET_NOT_PROVISIONED")


def provision(sso: BaseClient, instance_arn: str, permission_set_arn: str, *,
              sleep: Sleep = time.sleep, backoff: Backoff = DEFAULT_BACKOFF) -> Operation:
    """Push the permission set's current policies to every account it is provisioned to, and
    wait until AWS reports it done (DescribePermissionSetProvisioningStatus)."""
    what = f"provisioning {permission_set_arn} to its accounts"
    start = retry_conflicts(lambda: sso.provision_permission_set(
        InstanceArn=instance_arn, PermissionSetArn=permission_set_arn,
        TargetType="ALL_PROVISIONED_ACCOUNTS")["PermissionSetProvisioningStatus"],
        f"the permission set {permission_set_arn}", sleep, backoff)
    return follow(what, start, lambda request_id: sso.describe_permission_set_provisioning_status(
        InstanceArn=instance_arn, ProvisionPermissionSetRequestId=request_id,
    )["PermissionSetProvisioningStatus"], sleep=sleep, backoff=backoff)
