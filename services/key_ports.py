"""What key rotation needs from IAM and Slack, and the pieces its services share."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from aws.errors import AwsError
from domain.errors import UserError
from domain.rotation import KeyFacts, Rotation
from services.context import Context
from storage.database import to_iso
from storage.rotations import RotationRepository


class KeyPort(Protocol):
    def find_user(self, slack_id: str, now: datetime, *,
                  refresh_after: timedelta = timedelta(0)) -> Any:
        """The IAM user tagged with this Slack user id (`.name`), or None."""
        ...

    def forget(self) -> None: ...

    def list_keys(self, iam_user: str) -> list[KeyFacts]: ...

    def create_key(self, iam_user: str) -> Any:
        """The new key: `.key_id`, `.created` and `.secret_access_key` (never to be stored)."""
        ...

    def set_key_status(self, iam_user: str, key_id: str, active: bool) -> None: ...

    def delete_key(self, iam_user: str, key_id: str) -> bool: ...


class KeySlack(Protocol):
    def deliver_key(self, rotation: Rotation, secret: str, now: datetime) -> tuple[str, str]:
        """DM the holder the key id and its secret; (channel, ts) of that DM."""
        ...

    def conceal_key(self, rotation: Rotation, why: str) -> None:
        """Replace the key DM with one that no longer holds the secret."""
        ...

    def warn_old_key_used(self, rotation: Rotation, old: KeyFacts, now: datetime) -> None: ...


@dataclass
class KeyDeps:
    ctx: Context
    port: KeyPort
    slack: KeySlack
    rotations: RotationRepository
    # Which running Gatehouse started a rotation; rotations of an earlier run are recovered.
    owner: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


def job_key(rotation_id: int) -> str:
    return f"rotation:{rotation_id}"


def deactivation_key(rotation_id: int, due: datetime) -> str:
    """Each deadline its own job, so a warning can move it from inside the running job."""
    return f"rotation:{rotation_id}@{to_iso(due)}"


def refused(step: str, refusal: AwsError) -> UserError:
    return UserError(f"AWS refused to {step}: {refusal.message}. Nothing was changed; "
                     "try again later or ask an admin.")
