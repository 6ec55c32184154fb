"""IAM users and their access keys: the one model shared by key rotation and the digest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

_MASK = "****"


@dataclass(frozen=True)
class IamUser:
    """An IAM user with its tags (the Slack user id tag links it to a person)."""

    name: str
    arn: str
    user_id: str = ""
    created: datetime | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AccessKey:
    """One access key of a user and when it was last used (None: never, as far as AWS knows)."""

    key_id: str
    status: str
    created: datetime
    last_used: datetime | None = None
    last_used_service: str | None = None
    last_used_region: str | None = None

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
