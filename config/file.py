"""The config file: gatehouse.yml read, validated and described key by key."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator

from config.accounts import (
    AccountConfig,
    OrganizationConfig,
    RoleProblems,
    account_name_problems,
    expand_roles,
    named_accounts,
)
from config.digest import DigestConfig
from config.fields import SLACK_CHANNEL, SLACK_USER, ConfigError, Seconds, Strict, slack_id
from config.identity_center import (
    IdentityCenterConfig,
    PermissionSetConfig,
    expand_permission_sets,
    name_permission_sets,
    permission_set_problems,
)
from config.keys import IdentityConfig, KeysConfig
from config.roles import RoleConfig
from domain.accounts import Account


class RequestsConfig(Strict):
    pending_expiry: Seconds = 4 * 3600
    remind_after: Seconds = 30 * 60
    warn_before_expiry: Seconds = 15 * 60
    schedule_horizon: Seconds = 14 * 86400  # how far ahead `/access request … at …` may start


class Config(Strict):
    """The validated config file.

    `roles` holds the requestable roles keyed by request name (`prod/readonly` for a rule
    across accounts); the rules as written are kept to expand again once Organizations
    discovery has found the organisation's accounts (`with_accounts`).
    """

    timezone: str = "UTC"
    admins: list[str]
    approvals_channel: str
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    roles: dict[str, RoleConfig]
    keys: KeysConfig = Field(default_factory=KeysConfig)
    requests: RequestsConfig = Field(default_factory=RequestsConfig)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    accounts: dict[str, AccountConfig] = Field(default_factory=dict)
    organization: OrganizationConfig | None = None
    identity_center: IdentityCenterConfig | None = None
    permission_sets: dict[str, PermissionSetConfig] = Field(default_factory=dict)
    _rules: dict[str, RoleConfig] = PrivateAttr(default_factory=dict)
    _known: list[Account] | None = PrivateAttr(default=None)  # named + discovered accounts

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
            if isinstance(role, Mapping) and "account" in role:
                raise ValueError(f"role '{name}': account is not a key; list where the role "
                                 "exists with accounts: [prod, dev]")
            named[str(name)] = {**role, "name": str(name)} if isinstance(role, Mapping) else role
        return named

    @field_validator("accounts")
    @classmethod
    def _check_accounts(cls, value: dict[str, AccountConfig]) -> dict[str, AccountConfig]:
        problems = account_name_problems(list(value))
        seen: dict[str, str] = {}
        for name, account in value.items():
            if account.id in seen:
                problems.append(f"accounts.{name}: account {account.id} is already listed as "
                                f"{seen[account.id]}; list each account once")
            seen[account.id] = name
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("permission_sets", mode="before")
    @classmethod
    def _name_permission_sets(cls, value: Any) -> Any:
        return name_permission_sets(value)

    @model_validator(mode="after")
    def _check_thresholds(self) -> Config:
        if self.digest.max_admins < self.digest.min_admins:
            raise ValueError("digest.max_admins must not be below digest.min_admins")
        return self

    @model_validator(mode="after")
    def _expand_roles(self) -> Config:
        self._rules = dict(self.roles)
        try:
            roles = expand_roles(self._rules, self.named_accounts(),
                                 multi_account=self.multi_account,
                                 pending=self.organization is not None)
        except RoleProblems as exc:
            raise ValueError("\n".join(exc.problems)) from None
        self.__dict__["roles"] = roles  # still being built: frozen once validation ends
        problems = permission_set_problems(self.identity_center, self.permission_sets,
                                           list(roles), self.named_accounts())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def with_accounts(self, accounts: Sequence[Account]) -> Config:
        """This config with its roles expanded over `accounts` (the named accounts and those
        Organizations discovery found); a new Config, this one unchanged.

        Raises ConfigError naming each role key that cannot be expanded.
        """
        if not self.multi_account:
            return self
        try:
            roles = expand_roles(self._rules, list(accounts), multi_account=True,
                                 pending=False)
        except RoleProblems as exc:
            raise ConfigError(exc.problems) from None
        problems = permission_set_problems(self.identity_center, self.permission_sets,
                                           list(roles), list(accounts))
        if problems:
            raise ConfigError(problems)
        expanded = self.model_copy(update={"roles": roles})
        expanded._known = list(accounts)
        return expanded

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def multi_account(self) -> bool:
        """True when `accounts:` or `organization:` is set: IAM work runs on manage roles."""
        return bool(self.accounts) or self.organization is not None

    def named_accounts(self) -> list[Account]:
        """The accounts listed under `accounts:` (discovered ones come from Organizations)."""
        return named_accounts(self.accounts)

    def role(self, name: str) -> RoleConfig | None:
        """A role, or a permission set by its request name (`prod/admin`)."""
        return self.roles.get(name) or self.permission_set_rules().get(name)

    def permission_set_rules(self) -> dict[str, PermissionSetConfig]:
        """Every permission set by request name, in the named accounts and, once
        `with_accounts` has run, those Organizations discovery found."""
        known = self._known if self._known is not None else self.named_accounts()
        return expand_permission_sets(self.permission_sets, known)

    def channel_for(self, role: RoleConfig) -> str:
        return role.channel or self.approvals_channel


def parse_config(data: Any) -> Config:
    """Validate already-parsed YAML; raise ConfigError naming each bad key."""
    if not isinstance(data, Mapping):
        raise ConfigError(["config: the file must be a YAML mapping of keys to values"])
    try:
        return Config.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError([line for error in exc.errors()
                           for line in _describe(error).split("\n")]) from None


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


_KEYED = re.compile(r"^[a-z_]+\.[^\s:]+: ")


def _describe(error: Mapping[str, Any]) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "config"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{key}: unknown key; check its spelling against gatehouse.example.yml"
    if kind == "missing":
        return f"{key}: required key is missing"
    message = str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"] and _KEYED.match(message):  # the whole file's check names its keys
        return message
    return f"{key}: {message}"
