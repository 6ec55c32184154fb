"""Load and validate gatehouse.yml and the environment; errors name the offending key."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from domain.durations import parse_duration
from domain.hygiene.findings import Thresholds

MAX_ROLE_SECONDS = 12 * 3600
ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_APPROVER = re.compile(r"^[UWS][A-Z0-9]{2,}$")
SLACK_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{2,}$")
IAM_USER_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ConfigError(Exception):
    """The config file or environment cannot be used; `problems` has one line per key."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _seconds(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a duration such as 15m, 2h, 1h30m or 7d")
    if isinstance(value, int):
        return value
    return parse_duration(str(value))


Seconds = Annotated[int, BeforeValidator(_seconds)]


def _clock(value: str) -> time:
    match = CLOCK.match(str(value))
    if not match:
        raise ValueError(f"'{value}' is not a time of day; write it as HH:MM, e.g. 09:00")
    return time(int(match.group(1)), int(match.group(2)))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class HoursWindow(_Strict):
    """Business hours in the config timezone; a grant stays inside them."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> HoursWindow:
        parts = str(text).split("-")
        if len(parts) != 2:
            raise ValueError(f"'{text}' is not a window; write it as HH:MM-HH:MM, e.g. 08:00-20:00")
        start, end = (_clock(part.strip()) for part in parts)
        if end == start:  # an end before the start is a window across midnight
            raise ValueError(f"'{text}' starts and ends at the same time; e.g. 08:00-20:00")
        return cls(start=start, end=end)


class Conditions(_Strict):
    source_ips: list[str] = Field(default_factory=list)
    hours: HoursWindow | None = None

    @field_validator("hours", mode="before")
    @classmethod
    def _parse_hours(cls, value: Any) -> Any:
        return HoursWindow.parse(value) if isinstance(value, str) else value

    @field_validator("source_ips")
    @classmethod
    def _check_cidrs(cls, value: list[str]) -> list[str]:
        import ipaddress

        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError as exc:
                raise ValueError(f"'{cidr}' is not an IP address or CIDR range") from exc
        return value


class RoleConfig(_Strict):
    name: str = ""
    arn: str
    description: str = ""
    max_duration: Seconds
    approvers: list[str] = Field(default_factory=list)
    approvals_required: int = Field(default=1, ge=1, le=10)
    allow_self_approval: bool = False
    auto_approve: bool = False
    channel: str | None = None
    conditions: Conditions = Field(default_factory=Conditions)

    @field_validator("arn")
    @classmethod
    def _check_arn(cls, value: str) -> str:
        if not ROLE_ARN.match(value):
            raise ValueError(
                f"'{value}' is not an IAM role ARN; write arn:aws:iam::123456789012:role/Name"
            )
        return value

    @field_validator("max_duration")
    @classmethod
    def _check_max(cls, value: int) -> int:
        if value < 900 or value > MAX_ROLE_SECONDS:
            raise ValueError("must be between 15m and 12h (the limits of STS AssumeRole)")
        return value

    @field_validator("approvers")
    @classmethod
    def _check_approvers(cls, value: list[str]) -> list[str]:
        return [_slack_id(v, SLACK_APPROVER, "a Slack user ID (U…) or user group ID (S…)")
                for v in value]

    @field_validator("channel")
    @classmethod
    def _check_channel(cls, value: str | None) -> str | None:
        return None if value is None else _slack_id(value, SLACK_CHANNEL, "a Slack channel ID")


class IdentityConfig(_Strict):
    iam_user_tag: str = "slack-user-id"


class KeysConfig(_Strict):
    grace_period: Seconds = 24 * 3600
    delete_after: Seconds = 7 * 86400
    requires_approval: bool = False
    allow_first_key: bool = False  # may rotate-key create a first key for a user with none?
    allow_admin_keys: bool = False  # may it create keys for administrators and protected users?
    protected_users: list[str] = Field(default_factory=list)  # IAM user names never rotated

    @field_validator("protected_users")
    @classmethod
    def _check_user_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not IAM_USER_NAME.match(str(name)):
                raise ValueError(f"'{name}' is not an IAM user name (letters, digits and "
                                 "+=,.@_- up to 64 characters)")
        return value


class RequestsConfig(_Strict):
    pending_expiry: Seconds = 4 * 3600
    remind_after: Seconds = 30 * 60
    warn_before_expiry: Seconds = 15 * 60


class DigestConfig(_Strict):
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

    @field_validator("at", mode="before")
    @classmethod
    def _parse_at(cls, value: Any) -> Any:
        return _clock(value) if isinstance(value, str) else value

    @property
    def enabled(self) -> bool:
        return bool(self.channel)

    def thresholds(self) -> Thresholds:
        return Thresholds(
            unused_after_days=self.unused_after_days, key_max_age_days=self.key_max_age_days,
            min_admins=self.min_admins, max_admins=self.max_admins,
            require_hardware_mfa=self.require_hardware_mfa,
            max_session_for_humans=self.max_session_for_humans)


class Config(_Strict):
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
        return [_slack_id(v, SLACK_USER, "a Slack user ID (U…)") for v in value]

    @field_validator("approvals_channel")
    @classmethod
    def _check_channel(cls, value: str) -> str:
        return _slack_id(value, SLACK_CHANNEL, "a Slack channel ID (C…)")

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


def _slack_id(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise ValueError(f"'{value}' is not {what}")
    return value


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


@dataclass(frozen=True)
class Environment:
    """Settings read from environment variables (see the contract's table)."""

    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_app_token: str | None
    slack_api_url: str
    config_path: str
    db_path: str
    federation_url: str
    host: str
    port: int
    log_level: str
    aws_region: str

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)


def load_environment(environ: Mapping[str, str]) -> Environment:
    """Build Environment from a mapping such as os.environ; raise ConfigError on bad values."""
    port_text = environ.get("PORT", "3000")
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ConfigError([f"PORT: '{port_text}' is not a port number (0-65535)"])
    api_url = environ.get("SLACK_API_URL", "https://slack.com/api/")
    return Environment(
        slack_bot_token=environ.get("SLACK_BOT_TOKEN") or None,
        slack_signing_secret=environ.get("SLACK_SIGNING_SECRET") or None,
        slack_app_token=environ.get("SLACK_APP_TOKEN") or None,
        slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
        config_path=environ.get("GATEHOUSE_CONFIG", "gatehouse.yml"),
        db_path=environ.get("GATEHOUSE_DB", "gatehouse.db"),
        federation_url=environ.get(
            "GATEHOUSE_FEDERATION_URL", "https://signin.aws.amazon.com/federation"
        ),
        host=environ.get("HOST", "0.0.0.0"),
        port=int(port_text),
        log_level=environ.get("LOG_LEVEL", "INFO").upper(),
        aws_region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1",
    )


def environment_problems(env: Environment) -> list[str]:
    """Return one line per unusable environment variable (no network calls)."""
    problems = []
    if not env.slack_bot_token:
        problems.append("SLACK_BOT_TOKEN: required; set it to the bot token (xoxb-…)")
    elif not env.slack_bot_token.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN: must be a bot token starting with xoxb-")
    if env.slack_app_token and not env.slack_app_token.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN: must be an app-level token starting with xapp-")
    if not env.socket_mode and not env.slack_signing_secret:
        problems.append("SLACK_SIGNING_SECRET: required in HTTP mode; copy it from the app's "
                        "Basic Information page")
    if env.log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        problems.append(f"LOG_LEVEL: '{env.log_level}' is not DEBUG, INFO, WARNING or ERROR")
    return problems + federation_url_problems(env.federation_url)


def federation_url_problems(url: str) -> list[str]:
    """Session credentials travel in this URL: https only (plain http on loopback, for tests)."""
    import ipaddress
    from urllib.parse import urlsplit

    scheme = host = ""
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname or ""
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if host and (scheme == "https" or (scheme == "http" and loopback)):
        return []
    return ["GATEHOUSE_FEDERATION_URL: must be an https:// URL such as "
            "https://signin.aws.amazon.com/federation (http:// only on a loopback address)"]
