"""User groups (`S…`) of the fake Slack workspace: `usergroups.list` and `usergroups.users.list`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from fake_services.slack_models import TEAM_ID, SlackError


@dataclass(frozen=True)
class UserGroup:
    """A user group: its handle (`@sre-leads`), name, members, and whether it is disabled."""

    id: str
    handle: str
    name: str
    users: tuple[str, ...]
    created: int
    updated: int
    disabled: bool = False
    description: str = ""

    def to_dict(self, *, include_users: bool = False, include_count: bool = False
                ) -> dict[str, Any]:
        """A usergroup object as `usergroups.list` returns it."""
        body: dict[str, Any] = {
            "id": self.id, "team_id": TEAM_ID, "is_usergroup": True, "is_subteam": True,
            "name": self.name, "description": self.description, "handle": self.handle,
            "is_external": False, "date_create": self.created, "date_update": self.updated,
            "date_delete": self.updated if self.disabled else 0, "auto_type": None,
            "created_by": "USLACKBOT", "updated_by": "USLACKBOT", "deleted_by": None,
            "prefs": {"channels": [], "groups": []},
        }
        if include_users:
            body["users"] = list(self.users)
        if include_count:
            body["user_count"] = len(self.users)
        return body


class UserGroupDirectory:
    """The workspace's user groups, behind the workspace's lock (`usergroups:read` methods)."""

    def __init__(self, lock: threading.RLock, clock: Callable[[], float]) -> None:
        self._lock = lock
        self._clock = clock
        self._groups: dict[str, UserGroup] = {}

    def put(self, group_id: str, users: Iterable[str], *, handle: str | None = None,
            name: str | None = None) -> UserGroup:
        """Create a group, or replace its members (and handle or name when given)."""
        now = int(self._clock())
        with self._lock:
            old = self._groups.get(group_id)
            handle = handle or (old.handle if old else group_id.lower())
            name = name or (old.name if old else handle)
            group = UserGroup(group_id, handle, name, tuple(users),
                              old.created if old else now, now, old.disabled if old else False)
            self._groups[group_id] = group
        return group

    def set_disabled(self, group_id: str, disabled: bool = True) -> None:
        with self._lock:
            self._groups[group_id] = replace(self._find(group_id), disabled=disabled,
                                             updated=int(self._clock()))

    def members(self, group_id: str, *, include_disabled: bool = False) -> list[str]:
        """`usergroups.users.list`: an unknown group, or a disabled one unless asked, is
        `no_such_subteam`."""
        with self._lock:
            group = self._find(group_id)
            if group.disabled and not include_disabled:
                raise SlackError("no_such_subteam")
            return list(group.users)

    def listing(self, *, include_users: bool = False, include_count: bool = False,
                include_disabled: bool = False) -> list[dict[str, Any]]:
        """`usergroups.list`: enabled groups, disabled ones too on demand."""
        with self._lock:
            groups = list(self._groups.values())
        return [g.to_dict(include_users=include_users, include_count=include_count)
                for g in groups if include_disabled or not g.disabled]

    def _find(self, group_id: str) -> UserGroup:
        group = self._groups.get(group_id)
        if group is None:
            raise SlackError("no_such_subteam")
        return group
