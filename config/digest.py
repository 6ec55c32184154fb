"""The daily hygiene digest: its channel, time and the thresholds of its checks."""

from __future__ import annotations

from datetime import time
from typing import Any

from pydantic import Field, field_validator

from config.fields import Seconds, Strict, clock_time
from domain.hygiene.findings import Thresholds


class DigestConfig(Strict):
    channel: str | None = None
    at: time = time(9, 0)
    unused_after_days: int = Field(default=90, ge=1)
    key_max_age_days: int = Field(default=90, ge=1)
    min_admins: int = Field(default=2, ge=0)
    max_admins: int = Field(default=5, ge=1)
    cloudtrail_bucket: str | None = None
    require_hardware_mfa: bool = False
    max_session_for_humans: Seconds = Field(default=4 * 3600, ge=3600, le=12 * 3600)
    service_last_accessed: bool = True
    concurrency: int = Field(default=8, ge=1, le=64)  # accounts collected at once

    @field_validator("at", mode="before")
    @classmethod
    def _parse_at(cls, value: Any) -> Any:
        return clock_time(value) if isinstance(value, str) else value

    @property
    def enabled(self) -> bool:
        return bool(self.channel)

    def thresholds(self) -> Thresholds:
        return Thresholds(
            unused_after_days=self.unused_after_days, key_max_age_days=self.key_max_age_days,
            min_admins=self.min_admins, max_admins=self.max_admins,
            require_hardware_mfa=self.require_hardware_mfa,
            max_session_for_humans=self.max_session_for_humans)
