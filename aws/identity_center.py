"""Identity Center edge: users by e-mail, permission sets, and account assignments followed to
their end."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from botocore.client import BaseClient

from aws.errors import AwsError, aws_errors
from domain.identity_center import (
    Assignment,
    AssignmentKey,
    IdentityCenterUser,
    Operation,
    PermissionSet,
    session_seconds,
)

Sleep = Callable[[float], None]
NOT_FOUND = "ResourceNotFoundException"
CONFLICT = "ConflictException"


@dataclass(frozen=True)
class Backoff:
    """How long to follow an asynchronous change: waits from `first` seconds, growing by
    `factor` up to `longest`, until `budget` seconds have been spent waiting."""

    first: float = 1.0
    factor: float = 2.0
    longest: float = 10.0
    budget: float = 120.0

    def waits(self) -> Iterator[float]:
        spent, wait = 0.0, self.first
        while spent + wait <= self.budget:
            yield wait
            spent += wait
            wait = min(wait * self.factor, self.longest)


DEFAULT_BACKOFF = Backoff()


# --- the identity store ------------------------------------------------------------------------


def find_user_by_email(identity_store: BaseClient, identity_store_id: str,
                       email: str) -> IdentityCenterUser | None:
    """The identity-store user with this e-mail (or user name), or None when there is none."""
    tries = dict.fromkeys([("emails.value", email), ("emails.value", email.lower()),
                           ("userName", email), ("userName", email.lower())])
    for path, value in tries:
        user_id = _user_id(identity_store, identity_store_id, path, value)
        if user_id:
            return describe_user(identity_store, identity_store_id, user_id)
    return None


def _user_id(identity_store: BaseClient, store_id: str, path: str, value: str) -> str | None:
    try:
        with aws_errors(f"the identity store {store_id}"):
            answer = identity_store.get_user_id(
                IdentityStoreId=store_id,
                AlternateIdentifier={"UniqueAttribute": {"AttributePath": path,
                                                         "AttributeValue": value}})
    except AwsError as error:
        if error.code == NOT_FOUND:
            return None
        raise
    return str(answer["UserId"])


def describe_user(identity_store: BaseClient, store_id: str, user_id: str) -> IdentityCenterUser:
    with aws_errors(f"user {user_id} of the identity store {store_id}"):
        user = identity_store.describe_user(IdentityStoreId=store_id, UserId=user_id)
    return IdentityCenterUser(user_id=user_id, user_name=str(user.get("UserName", "")),
                              display_name=str(user.get("DisplayName") or user.get("UserName")))


# --- permission sets -----------------------------------------------------------------------


def describe_permission_set(sso: BaseClient, instance_arn: str, arn: str) -> PermissionSet | None:
    """The permission set with this ARN in the instance, or None when there is none."""
    try:
        with aws_errors(f"the permission set {arn}"):
            found = sso.describe_permission_set(InstanceArn=instance_arn,
                                                PermissionSetArn=arn)["PermissionSet"]
    except AwsError as error:
        if error.code in (NOT_FOUND, "ValidationException"):
            return None
        raise
    return PermissionSet(arn=found["PermissionSetArn"], name=found["Name"],
                         session_seconds=session_seconds(found.get("SessionDuration")),
                         description=str(found.get("Description") or ""))


def permission_set_arns(sso: BaseClient, instance_arn: str) -> list[str]:
    with aws_errors(f"the permission sets of {instance_arn}"):
        pages = sso.get_paginator("list_permission_sets").paginate(InstanceArn=instance_arn)
        return [arn for page in pages for arn in page.get("PermissionSets", [])]


def find_permission_set(sso: BaseClient, instance_arn: str,
                        name_or_arn: str) -> PermissionSet | None:
    """The permission set named (or with the ARN) `name_or_arn`, or None when there is none."""
    if name_or_arn.startswith("arn:"):
        return describe_permission_set(sso, instance_arn, name_or_arn)
    for arn in permission_set_arns(sso, instance_arn):
        found = describe_permission_set(sso, instance_arn, arn)
        if found and found.name == name_or_arn:
            return found
    return None


# --- account assignments -----------------------------------------------------------------


def list_assignments(sso: BaseClient, instance_arn: str, account_id: str,
                     permission_set_arn: str) -> list[Assignment]:
    """Every assignment (users and groups) of the permission set in the account."""
    with aws_errors(f"the assignments of {permission_set_arn} in account {account_id}"):
        pages = sso.get_paginator("list_account_assignments").paginate(
            InstanceArn=instance_arn, AccountId=account_id, PermissionSetArn=permission_set_arn)
        found = [item for page in pages for item in page.get("AccountAssignments", [])]
    return [Assignment(account_id=item["AccountId"], permission_set_arn=item["PermissionSetArn"],
                       principal_type=item["PrincipalType"], principal_id=item["PrincipalId"])
            for item in found]


def assignment_exists(sso: BaseClient, instance_arn: str, key: AssignmentKey) -> bool:
    assignments = list_assignments(sso, instance_arn, key.account_id, key.permission_set_arn)
    return any(assignment.user_key() == key for assignment in assignments)


def create_assignment(sso: BaseClient, instance_arn: str, key: AssignmentKey, *,
                      sleep: Sleep = time.sleep, backoff: Backoff = DEFAULT_BACKOFF) -> Operation:
    """Assign the permission set to the user in the account, and wait until it is done.

    Raises AwsError when AWS reports the assignment failed (with AWS's reason) or when it is
    still in progress once `backoff` is spent.
    """
    what = f"assigning {key.label()}"
    start = retry_conflicts(lambda: sso.create_account_assignment(
        **_assignment_args(instance_arn, key))["AccountAssignmentCreationStatus"],
        key.label(), sleep, backoff)
    return follow(what, start, lambda request_id: follow_creation(sso, instance_arn, request_id),
                  sleep=sleep, backoff=backoff)


def delete_assignment(sso: BaseClient, instance_arn: str, key: AssignmentKey, *,
                      sleep: Sleep = time.sleep,
                      backoff: Backoff = DEFAULT_BACKOFF) -> Operation | None:
    """Remove the assignment and wait until it is gone; None when it was already gone."""
    what = f"removing {key.label()}"
    try:
        start = retry_conflicts(lambda: sso.delete_account_assignment(
            **_assignment_args(instance_arn, key))["AccountAssignmentDeletionStatus"],
            key.label(), sleep, backoff)
        return follow(what, start, lambda request_id: follow_deletion(sso, instance_arn,
                                                                       request_id),
                      sleep=sleep, backoff=backoff)
    except AwsError as error:
        if error.code == NOT_FOUND:
            return None
        if error.code == "Failed" and not assignment_exists(sso, instance_arn, key):
            return None  # AWS reports a deletion of an assignment already gone as failed
        raise


def follow_creation(sso: BaseClient, instance_arn: str, request_id: str) -> dict:
    """The current status of an assignment creation (DescribeAccountAssignmentCreationStatus)."""
    return sso.describe_account_assignment_creation_status(
        InstanceArn=instance_arn,
        AccountAssignmentCreationRequestId=request_id)["AccountAssignmentCreationStatus"]


def follow_deletion(sso: BaseClient, instance_arn: str, request_id: str) -> dict:
    """The current status of an assignment deletion (DescribeAccountAssignmentDeletionStatus)."""
    return sso.describe_account_assignment_deletion_status(
        InstanceArn=instance_arn,
        AccountAssignmentDeletionRequestId=request_id)["AccountAssignmentDeletionStatus"]


def _assignment_args(instance_arn: str, key: AssignmentKey) -> dict[str, str]:
    return {"InstanceArn": instance_arn, "TargetId": key.account_id, "TargetType": "AWS_ACCOUNT",
            "PermissionSetArn": key.permission_set_arn, "PrincipalType": "USER",
            "PrincipalId": key.user_id}


# --- following an asynchronous change ----------------------------------------------------


def follow(what: str, status: dict, describe: Callable[[str], dict], *, sleep: Sleep,
           backoff: Backoff) -> Operation:
    """Poll `describe(request_id)` with `backoff` until the change SUCCEEDED; raise AwsError
    with AWS's failure reason when it FAILED, or when it is still IN_PROGRESS at the end."""
    waits = backoff.waits()
    while status.get("Status") == "IN_PROGRESS":
        wait = next(waits, None)
        if wait is None:
            raise AwsError(f"AWS was still {what} after {backoff.budget:.0f} s (request "
                           f"{status.get('RequestId')}); it may yet finish, check again later",
                           "StillInProgress")
        sleep(wait)
        with aws_errors(what):
            status = describe(str(status["RequestId"]))
    if status.get("Status") != "SUCCEEDED":
        reason = str(status.get("FailureReason") or "AWS gave no reason").rstrip(".")
        raise AwsError(f"AWS failed {what}: {reason}", "Failed")
    return Operation(what=what, request_id=str(status.get("RequestId", "")), status="SUCCEEDED")


def retry_conflicts(call: Callable[[], dict], target: str, sleep: Sleep,
                    backoff: Backoff) -> dict:
    """Start a change, waiting while another change to the same permission set runs (AWS
    answers ConflictException until it has finished)."""
    waits = backoff.waits()
    while True:
        try:
            with aws_errors(target):
                return call()
        except AwsError as error:
            wait = next(waits, None) if error.code == CONFLICT else None
            if wait is None:
                raise
            sleep(wait)
