"""Identity Center for permission-set grants: one instance, its identity store, its clients."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from botocore.client import BaseClient

from aws.identity_center import (
    DEFAULT_BACKOFF,
    Backoff,
    Sleep,
    assignment_exists,
    create_assignment,
    delete_assignment,
    describe_permission_set,
    describe_user,
    find_permission_set,
    find_user_by_email,
    list_assignments,
)
from aws.identity_center_revoke import put_session_deny, remove_session_deny
from domain.identity_center import (
    Assignment,
    AssignmentKey,
    IdentityCenterUser,
    PermissionSet,
    SessionDeny,
)

ClientFor = Callable[[str], BaseClient]  # "sso-admin" / "identitystore" -> a client


class IdentityCenter:
    """The Identity Center calls Gatehouse makes, on one instance; safe to share."""

    def __init__(self, client_for: ClientFor, *, instance_arn: str, identity_store_id: str,
                 portal_url: str, sleep: Sleep = time.sleep,
                 backoff: Backoff = DEFAULT_BACKOFF) -> None:
        self.client_for = client_for
        self.instance_arn = instance_arn
        self.identity_store_id = identity_store_id
        self.portal_url = portal_url
        self.sleep = sleep
        self.backoff = backoff
        self._arns: dict[str, str] = {}  # permission set name -> ARN (names do not move)
        self._lock = threading.Lock()

    @property
    def sso(self) -> BaseClient:
        return self.client_for("sso-admin")

    def find_user(self, email: str) -> IdentityCenterUser | None:
        return find_user_by_email(self.client_for("identitystore"), self.identity_store_id,
                                  email)

    def permission_set(self, name_or_arn: str) -> PermissionSet | None:
        """The permission set by name or ARN, read now (its session duration may change)."""
        with self._lock:
            arn = self._arns.get(name_or_arn)
        if arn:
            found = describe_permission_set(self.sso, self.instance_arn, arn)
            if found and found.name == name_or_arn:
                return found
        found = find_permission_set(self.sso, self.instance_arn, name_or_arn)
        if found is not None:
            with self._lock:
                self._arns[name_or_arn] = found.arn
        return found

    def assignment_exists(self, key: AssignmentKey) -> bool:
        return assignment_exists(self.sso, self.instance_arn, key)

    def assign(self, key: AssignmentKey) -> None:
        create_assignment(self.sso, self.instance_arn, key, sleep=self.sleep,
                          backoff=self.backoff)

    def unassign(self, key: AssignmentKey) -> None:
        delete_assignment(self.sso, self.instance_arn, key, sleep=self.sleep,
                          backoff=self.backoff)

    def put_session_deny(self, permission_set_arn: str, user_id: str,
                         issued_before: datetime) -> SessionDeny:
        return put_session_deny(self.sso, self.instance_arn, permission_set_arn, user_id,
                                issued_before, sleep=self.sleep, backoff=self.backoff)

    def remove_session_deny(self, permission_set_arn: str, user_id: str,
                            issued_before: datetime) -> bool:
        return remove_session_deny(self.sso, self.instance_arn, permission_set_arn, user_id,
                                   issued_before, sleep=self.sleep, backoff=self.backoff)

    def user_name(self, user_id: str) -> str:
        """The user's display or user name in the identity store."""
        user = describe_user(self.client_for("identitystore"), self.identity_store_id, user_id)
        return user.display_name or user.user_name

    def assignments(self, account_id: str, permission_set_arn: str) -> list[Assignment]:
        """Every assignment of the permission set in the account (users and groups)."""
        return list_assignments(self.sso, self.instance_arn, account_id, permission_set_arn)
