"""IAM edge of key rotation: the access-key calls, and the adapter the rotation's IAM port uses."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from botocore.client import BaseClient

from aws.accounts import AccountSessions
from aws.clients import AwsClients
from aws.errors import AwsError, aws_errors
from domain.accounts import Account
from domain.iam import AWS_ADMIN_POLICIES, AccessKey, IamUser, NewAccessKey, grants_admin

log = logging.getLogger("aws.keys")  # the logger name the log lines have always carried

_NOT_RECORDED = "N/A"
DIRECTORY_MAX_AGE = timedelta(minutes=15)


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


def list_keys(iam: BaseClient, user_name: str) -> list[AccessKey]:
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


class IamAccessKeys:
    """Implements the rotation's IAM-keys port.

    The directory (Slack user id -> IAM user) comes from one paginated
    GetAccountAuthorizationDetails pass; it is kept for a while and read again on a miss,
    so a user tagged a minute ago is found at once.
    """

    def __init__(self, clients: AwsClients, tag_key: str,
                 max_age: timedelta = DIRECTORY_MAX_AGE) -> None:
        self.clients = clients
        self.tag_key = tag_key
        self.max_age = max_age
        self._users: dict[str, IamUser] = {}
        self._loaded_at: datetime | None = None
        self._lock = threading.Lock()

    def find_user(self, slack_id: str, now: datetime, *,
                  refresh_after: timedelta = timedelta(0)) -> IamUser | None:
        """Look `slack_id` up; a miss reads IAM again unless it was read within
        `refresh_after` (lists and App Home, which everyone opens, pass a minute)."""
        with self._lock:
            age = None if self._loaded_at is None else now - self._loaded_at
            fresh = age is not None and age < self.max_age
            cached = self._users.get(slack_id) if fresh else None
            recent = fresh and age < refresh_after
        if cached is not None or recent:
            return cached
        self.refresh(now)
        with self._lock:
            return self._users.get(slack_id)

    def refresh(self, now: datetime) -> None:
        users = users_by_tag(self._iam(), self.tag_key)
        with self._lock:
            self._users, self._loaded_at = users, now

    def forget(self) -> None:
        """Drop the directory, so that the next look-up reads IAM again."""
        with self._lock:
            self._users, self._loaded_at = {}, None

    def list_keys(self, iam_user: str) -> list[AccessKey]:
        return list_keys(self._iam(), iam_user)

    def create_key(self, iam_user: str) -> NewAccessKey:
        return create_key(self._iam(), iam_user)

    def set_key_status(self, iam_user: str, key_id: str, active: bool) -> None:
        set_key_status(self._iam(), iam_user, key_id, active)

    def delete_key(self, iam_user: str, key_id: str) -> bool:
        return delete_key(self._iam(), iam_user, key_id)

    def _iam(self) -> BaseClient:
        return self.clients.iam()


class AccountAccessKeys(IamAccessKeys):
    """The same calls in one managed account, through its manage role (assumed, or renewed,
    at each call by AccountSessions; a failure to assume it is an AwsError naming the account).
    """

    def __init__(self, sessions: AccountSessions, account_id: str, tag_key: str,
                 max_age: timedelta = DIRECTORY_MAX_AGE) -> None:
        super().__init__(sessions.hub, tag_key, max_age)
        self.sessions = sessions
        self.account_id = account_id

    def _iam(self) -> BaseClient:
        return self.sessions.clients(self.account_id).iam()


class AccessKeysByAccount:
    """Implements the rotation's keys-by-account port: one AccountAccessKeys per account,
    each with its own cached directory of tagged users."""

    def __init__(self, sessions: AccountSessions, tag_key: str) -> None:
        self.sessions = sessions
        self.tag_key = tag_key
        self._keys: dict[str, AccountAccessKeys] = {}
        self._lock = threading.Lock()

    def accounts(self) -> list[Account]:
        return self.sessions.accounts()

    def account(self, name_or_id: str) -> Account | None:
        return self.sessions.account(name_or_id)

    def keys_in(self, account_id: str) -> AccountAccessKeys:
        with self._lock:
            if account_id not in self._keys:
                self._keys[account_id] = AccountAccessKeys(self.sessions, account_id,
                                                           self.tag_key)
            return self._keys[account_id]


def _all_users(iam: BaseClient) -> list[IamUser]:
    """Users with how their policies (own, groups', customer-managed) make them admins."""
    users, groups, policies = [], {}, {}
    with aws_errors("the IAM users of the account"):
        pages = iam.get_paginator("get_account_authorization_details").paginate(
            Filter=["User", "Group", "LocalManagedPolicy"])
        for page in pages:
            users += page.get("UserDetailList", [])
            groups.update({g["GroupName"]: g for g in page.get("GroupDetailList", [])})
            policies.update({p["Arn"]: _default_document(p) for p in page.get("Policies", [])})
    return [_iam_user(detail, _admin_via(detail, groups, policies)) for detail in users]


def _admin_via(user: dict, groups: dict[str, dict], policies: dict[str, dict]) -> tuple[str, ...]:
    ways = [f"{way} attached directly" for way in _admin_grants(user, "UserPolicyList", policies)]
    for name in user.get("GroupList", []):
        group = groups.get(name, {})
        ways += [f"{way} via group {name}"
                 for way in _admin_grants(group, "GroupPolicyList", policies)]
    return tuple(ways)


def _admin_grants(holder: dict, inline_key: str, policies: dict[str, dict]) -> list[str]:
    ways = [f"managed policy {p['PolicyName']}" for p in holder.get("AttachedManagedPolicies", [])
            if p["PolicyArn"] in AWS_ADMIN_POLICIES
            or grants_admin(policies.get(p["PolicyArn"], {}))]
    return ways + [f"inline policy {p['PolicyName']}" for p in holder.get(inline_key, [])
                   if grants_admin(_document(p.get("PolicyDocument")))]


def _default_document(policy: dict) -> dict:
    versions = policy.get("PolicyVersionList", [])
    default = next((v for v in versions if v.get("IsDefaultVersion")), {})
    return _document(default.get("Document"))


def _document(value: str | dict | None) -> dict:
    """A policy document; the API may hand it over URL-encoded."""
    if isinstance(value, str):
        return json.loads(unquote(value))
    return value or {}


def _iam_user(detail: dict, admin_via: tuple[str, ...] = ()) -> IamUser:
    return IamUser(
        name=detail["UserName"],
        arn=detail["Arn"],
        user_id=detail["UserId"],
        created=_utc(detail["CreateDate"]),
        tags={tag["Key"]: tag["Value"] for tag in detail.get("Tags", [])},
        admin_via=admin_via,
    )


def _key_info(iam: BaseClient, key: dict) -> AccessKey:
    usage = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    last_used = usage.get("LastUsedDate")
    return AccessKey(
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
