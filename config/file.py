"""The config file: gatehouse.yml read, validated and described key by key."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from config.digest import DigestConfig
from config.fields import SLACK_CHANNEL, SLACK_USER, ConfigError, Seconds, Strict, slack_id
from config.keys import IdentityConfig, KeysConfig
from config.roles import RoleConfig


class RequestsConfig(Strict):
    pending_expiry: Seconds = 4 * 3600
    remind_after: Seconds = 30 * 60
    warn_before_expiry: Seconds = 15 * 60
    schedule_horizon: Seconds = 14 * 86400  # how far ahead `/access request … at …` may start


class Config(Strict):
    """The validated config file."""

    timezone: str = "UTC"
    admins: list[str]
    approvals_channel: str
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    roles: dict[str, RoleConfig]
    keys: KeysConfig = Field(default_factory=KeysConfig)
    requests: RequestsConfig = Field(default_factory=RequestsConfig)
    digest: DigestConfig = Field(default_factory=DigestConfig)

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"'{value}' is not a time zone; use a name like Europe/Paris") from exc
        return value

    @field_validator("admins")
    @classmethod
    def _check_admins(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("needs at least one Slack user ID")
        return [slack_id(v, SLACK_USER, "a Slack user ID (U…)") for v in value]

    @field_validator("approvals_channel")
    @classmethod
    def _check_channel(cls, value: str) -> str:
        return slack_id(value, SLACK_CHANNEL, "a Slack channel ID (C…)")

    @field_validator("roles", mode="before")
    @classmethod
    def _name_roles(cls, value: Any) -> Any:
        if not isinstance(value, Mapping) or not value:
            raise ValueError("needs at least one role with arn and max_duration")
        named = {}
        for name, role in value.items():
            if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,63}", str(name)):
                raise ValueError(f"role name '{name}' must be lower-case letters, digits, - _ .")
            named[str(name)] = {**role, "name": str(name)} if isinstance(role, Mapping) else role
        return named

    @model_validator(mode="after")
    def _check_thresholds(self) -> Config:
        if self.digest.max_admins < self.digest.min_admins:
            raise ValueError("digest.max_admins must not be below digest.min_admins")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def role(self, name: str) -> RoleConfig | None:
        return self.roles.get(name)

    def channel_for(self, role: RoleConfig) -> str:
        return role.channel or self.approvals_channel


def parse_config(data: Any) -> Config:
    """Validate already-parsed YAML; raise ConfigError naming each bad key."""
    if not isinstance(data, Mapping):
        raise ConfigError(["config: the file must be a YAML mapping of keys to values"])
    try:
        return Config.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError([_describe(error) for error in exc.errors()]) from None


def load_config(path: str | Path) -> Config:
    """Read and validate the config file at `path`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"config: cannot read {path}: {exc.strerror}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([f"config: {path} is not valid YAML: {exc}"]) from None
    return parse_config(data)


def _describe(error: Mapping[str, Any]) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "config"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{key}: unknown key; check its spelling against gatehouse.example.yml"
    if kind == "missing":
        return f"{key}: required key is missing"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{key}: {message}"
