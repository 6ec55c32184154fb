"""IAM users and their access keys: the one model shared by key rotation and the digest."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

_MASK = "****"


@dataclass(frozen=True)
class IamUser:
    """An IAM user with its tags (the Slack user id tag links it to a person)."""

    name: str
    arn: str
    user_id: str = ""
    created: datetime | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    admin_via: tuple[str, ...] = ()  # how its policies make it an administrator, if they do

    @property
    def same_user(self) -> str:
        """What identifies the user across renames: its unique id, else its name."""
        return self.user_id or self.name


ACTIVE, INACTIVE = "Active", "Inactive"  # an access key's status, as IAM spells it


@dataclass(frozen=True)
class AccessKey:
    """One access key of a user and when it was last used (None: never, as far as AWS knows).

    Read from ListAccessKeys every field is known. Read from the credential report, which
    names no key, `key_id` is None; `created` is the report's last_rotated, None (N/A) for a
    slot that never held a key.
    """

    key_id: str | None
    status: str
    created: datetime | None
    last_used: datetime | None = None
    last_used_service: str | None = None
    last_used_region: str | None = None

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE


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


# --- what a policy allows --------------------------------------------------------------------

ADMIN_ACTIONS = frozenset({"*", "*:*", "iam:*"})
AWS_ADMIN_POLICIES = frozenset({"arn:aws:iam::aws:policy/AdministratorAccess",
                                "arn:aws:iam::aws:policy/IAMFullAccess"})
_KEY_ACTION = "iam:createaccesskey"


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _allows(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = [s for s in _listed(document.get("Statement")) if isinstance(s, Mapping)]
    return [s for s in statements if s.get("Effect") == "Allow"]


def grants_admin(document: Mapping[str, Any]) -> bool:
    """True when a statement allows `*`, `*:*` or `iam:*` on every resource (conditions are
    not read: a conditional admin is still an admin)."""
    return any({str(a).lower() for a in _listed(s.get("Action"))} & ADMIN_ACTIONS
               and "*" in _listed(s.get("Resource")) for s in _allows(document))


def _matches(pattern: str, action: str) -> bool:
    return fnmatchcase(action, pattern.lower())


def _user_scoped(resource: str) -> bool:
    """`arn:aws:iam::123456789012:user/people/*` is scoped; `*`, `user/*` are not."""
    _, _, path = str(resource).partition(":user/")
    return bool(path) and not path.startswith("*")


def _tag_condition(statement: Mapping[str, Any]) -> bool:
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    return any("resourcetag/" in str(key).lower()
               for operator in condition.values() if isinstance(operator, Mapping)
               for key in operator)


def creates_keys_for_every_user(documents: Iterable[Mapping[str, Any]]) -> bool:
    """True when these identity policies let their holder call iam:CreateAccessKey for any
    IAM user: a statement allowing it on `*` (or `user/*`) with no tag condition."""
    for document in documents:
        for statement in _allows(document):
            actions = [str(a) for a in _listed(statement.get("Action"))]
            if not any(_matches(a, _KEY_ACTION) for a in actions):
                continue
            resources = _listed(statement.get("Resource"))
            if _tag_condition(statement):
                continue
            if not resources or not all(_user_scoped(r) for r in resources):
                return True
    return False
