"""The digest's one-click fixes: deactivate the access key in a report slot, remove a password."""

from __future__ import annotations

from datetime import UTC, datetime

from botocore.client import BaseClient

from aws.access_keys import set_key_status
from aws.clients import AwsClients
from aws.errors import AwsError, aws_errors

SAME_KEY_SECONDS = 2


def key_in_slot(iam: BaseClient, user_name: str, slot: int,
                created: datetime | None = None) -> tuple[str, str]:
    """(key id, status) of the key the credential report shows in `slot`, with one ListAccessKeys.

    The report names keys by slot (1 is the older) and creation time, not by id. The slot-th
    oldest key is taken when it was created at `created`; else the one key that was; else the
    key was replaced since the report, and nothing is guessed.
    """
    with aws_errors(f"the access keys of IAM user {user_name}"):
        keys = iam.list_access_keys(UserName=user_name)["AccessKeyMetadata"]
    keys = sorted(keys, key=lambda key: key["CreateDate"])
    in_slot = keys[slot - 1:slot] if slot >= 1 else []
    if created is not None:
        in_slot = [key for key in in_slot if _created_at(key, created)] or [
            key for key in keys if _created_at(key, created)]
    if len(in_slot) != 1:
        raise AwsError(f"IAM user {user_name} no longer has the access key the digest showed "
                       f"(key {slot}); it was deleted or replaced", "NoSuchEntity")
    return in_slot[0]["AccessKeyId"], in_slot[0]["Status"]


def _created_at(key: dict, created: datetime) -> bool:
    return abs((_utc(key["CreateDate"]) - created).total_seconds()) <= SAME_KEY_SECONDS


def deactivate_key_in_slot(iam: BaseClient, user_name: str, slot: int,
                           created: datetime | None = None) -> tuple[str, bool]:
    """(key id, whether it was active) after making the slot's key Inactive."""
    key_id, status = key_in_slot(iam, user_name, slot, created)
    if status != "Active":
        return key_id, False
    set_key_status(iam, user_name, key_id, active=False)
    return key_id, True


def remove_console_password(iam: BaseClient, user_name: str) -> bool:
    """DeleteLoginProfile; False when the user had no console password any more."""
    try:
        with aws_errors(f"the console password of IAM user {user_name}"):
            iam.delete_login_profile(UserName=user_name)
    except AwsError as error:
        if error.code == "NoSuchEntity":
            return False
        raise
    return True


class IamFixes:
    """Implements the digest's fixes port on the account's IAM client."""

    def __init__(self, clients: AwsClients) -> None:
        self.clients = clients

    def deactivate_key_in_slot(self, user_name: str, slot: int,
                               created: datetime | None = None) -> tuple[str, bool]:
        return deactivate_key_in_slot(self.clients.iam(), user_name, slot, created)

    def remove_console_password(self, user_name: str) -> bool:
        return remove_console_password(self.clients.iam(), user_name)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
