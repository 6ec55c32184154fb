"""Settings read from environment variables, and what is wrong with them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from config.fields import ConfigError


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
    pagerduty_token: str | None = field(default=None, repr=False)
    pagerduty_url: str = "https://api.pagerduty.com"

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
        pagerduty_token=environ.get("PAGERDUTY_API_TOKEN", "").strip() or None,
        pagerduty_url=environ.get("PAGERDUTY_API_URL") or "https://api.pagerduty.com",
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
