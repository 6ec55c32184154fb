"""A stored job: an action due at a wall-clock time, run by the sweep once it falls due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Job:
    id: int
    action: str
    due_at: datetime
    key: str
    request_id: int | None
    grant_id: int | None
    payload: dict[str, Any]
    attempts: int
