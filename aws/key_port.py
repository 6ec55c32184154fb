"""The IAM side of key rotation: a cached Slack-to-IAM-user directory and the key calls."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from aws.clients import AwsClients
from aws.keys import (
    AccessKeyInfo,
    IamUser,
    NewAccessKey,
    create_key,
    delete_key,
    list_keys,
    set_key_status,
    users_by_tag,
)

DIRECTORY_MAX_AGE = timedelta(minutes=15)


class IamKeys:
    """Implements the KeyPort the rotation use cases need.

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
        users = users_by_tag(self.clients.iam(), self.tag_key)
        with self._lock:
            self._users, self._loaded_at = users, now

    def forget(self) -> None:
        """Drop the directory, so that the next look-up reads IAM again."""
        with self._lock:
            self._users, self._loaded_at = {}, None

    def list_keys(self, iam_user: str) -> list[AccessKeyInfo]:
        return list_keys(self.clients.iam(), iam_user)

    def create_key(self, iam_user: str) -> NewAccessKey:
        return create_key(self.clients.iam(), iam_user)

    def set_key_status(self, iam_user: str, key_id: str, active: bool) -> None:
        set_key_status(self.clients.iam(), iam_user, key_id, active)

    def delete_key(self, iam_user: str, key_id: str) -> bool:
        return delete_key(self.clients.iam(), iam_user, key_id)
