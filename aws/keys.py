"""IAM edge for access-key rotation: find a Slack user's IAM user, list, create and retire keys."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.client import BaseClient

from aws.errors import AwsError, aws_errors

log = logging.getLogger(__name__)

_NOT_RECORDED = "N/A"
_MASK = "****"


@dataclass(frozen=True)
class IamUser:
    """An IAM user with its tags."""

    name: str
    arn: str
    user_id: str
    created: datetime
    tags: dict[str, str]


@dataclass(frozen=True)
class AccessKeyInfo:
    """One access key of a user and when it was last used (None: never, as far as AWS knows)."""

    key_id: str
    status: str
    created: datetime
    last_used: datetime | None
    last_used_service: str | None
    last_used_region: str | None

    @property
    def is_active(self) -> bool:
        return self.status == "Active"


@dataclass(frozen=True)
class NewAccessKey:
    """A key just created; the secret exists only here, once. repr and str mask it."""

    key_id: str
    secret_access_key: str
    created: datetime

    def __repr__(self) -> str:
        return (
            f"NewAccessKey(key_id={self.key_id!r}, secret_access_key={_MASK!r}, "
            f"created={self.created.isoformat()!r})"
        )

    __str__ = __repr__


def users_by_tag(iam: BaseClient, tag_key: str) -> dict[str, IamUser]:
    """Map each value of the tag `tag_key` (a Slack user id) to the IAM user carrying it.

    ListUsers does not return Tags (real AWS documents this, and moto mirrors it), which would
    mean one ListUserTags call per user. GetAccountAuthorizationDetails(Filter=["User"]) returns
    Tags in UserDetailList on both, so one paginated pass is enough. A value carried by more
    than one user is ambiguous and left out rather than guessed.
    """
    found: dict[str, list[IamUser]] = {}
    for user in _all_users(iam):
        value = user.tags.get(tag_key, "").strip()
        if value:
            found.setdefault(value, []).append(user)
    for value, users in found.items():
        if len(users) > 1:
            names = ", ".join(user.name for user in users)
            log.warning("tag %s=%s is on IAM users %s; none is used", tag_key, value, names)
    return {value: users[0] for value, users in found.items() if len(users) == 1}


def list_keys(iam: BaseClient, user_name: str) -> list[AccessKeyInfo]:
    """The user's access keys (at most two), oldest first, each with its last use."""
    with aws_errors(f"the access keys of IAM user {user_name}"):
        pages = iam.get_paginator("list_access_keys").paginate(UserName=user_name)
        metadata = [key for page in pages for key in page["AccessKeyMetadata"]]
        keys = [_key_info(iam, key) for key in metadata]
    return sorted(keys, key=lambda key: key.created)


def create_key(iam: BaseClient, user_name: str) -> NewAccessKey:
    """CreateAccessKey; the returned secret must go straight to its owner and nowhere else."""
    with aws_errors(f"IAM user {user_name}"):
        key = iam.create_access_key(UserName=user_name)["AccessKey"]
    return NewAccessKey(
        key_id=key["AccessKeyId"],
        secret_access_key=key["SecretAccessKey"],
        created=_utc(key["CreateDate"]),
    )


def set_key_status(iam: BaseClient, user_name: str, key_id: str, active: bool) -> None:
    """Activate or deactivate one key."""
    status = "Active" if active else "Inactive"
    with aws_errors(f"access key {key_id} of IAM user {user_name}"):
        iam.update_access_key(UserName=user_name, AccessKeyId=key_id, Status=status)


def delete_key(iam: BaseClient, user_name: str, key_id: str) -> bool:
    """Delete one key; False when it is already gone, so reruns are safe."""
    try:
        with aws_errors(f"access key {key_id} of IAM user {user_name}"):
            iam.delete_access_key(UserName=user_name, AccessKeyId=key_id)
    except AwsError as error:
        if error.code == "NoSuchEntity":
            return False
        raise
    return True


def _all_users(iam: BaseClient) -> list[IamUser]:
    with aws_errors("the IAM users of the account"):
        pages = iam.get_paginator("get_account_authorization_details").paginate(Filter=["User"])
        details = [user for page in pages for user in page.get("UserDetailList", [])]
    return [_iam_user(detail) for detail in details]


def _iam_user(detail: dict) -> IamUser:
    return IamUser(
        name=detail["UserName"],
        arn=detail["Arn"],
        user_id=detail["UserId"],
        created=_utc(detail["CreateDate"]),
        tags={tag["Key"]: tag["Value"] for tag in detail.get("Tags", [])},
    )


def _key_info(iam: BaseClient, key: dict) -> AccessKeyInfo:
    usage = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    last_used = usage.get("LastUsedDate")
    return AccessKeyInfo(
        key_id=key["AccessKeyId"],
        status=key["Status"],
        created=_utc(key["CreateDate"]),
        last_used=_utc(last_used) if last_used else None,
        last_used_service=_recorded(usage.get("ServiceName")),
        last_used_region=_recorded(usage.get("Region")),
    )


def _recorded(value: str | None) -> str | None:
    return None if value in (None, "", _NOT_RECORDED) else value


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
