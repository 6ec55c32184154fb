"""Load and validate gatehouse.yml and the environment; errors name the offending key."""

from config.digest import DigestConfig
from config.environment import (
    Environment,
    environment_problems,
    federation_url_problems,
    load_environment,
)
from config.fields import MAX_ROLE_SECONDS, ConfigError
from config.file import Config, RequestsConfig, load_config, parse_config
from config.keys import IdentityConfig, KeysConfig
from config.roles import Conditions, HoursWindow, RoleConfig

__all__ = [
    "MAX_ROLE_SECONDS", "Conditions", "Config", "ConfigError", "DigestConfig", "Environment",
    "HoursWindow", "IdentityConfig", "KeysConfig", "RequestsConfig", "RoleConfig",
    "environment_problems", "federation_url_problems", "load_config", "load_environment",
    "parse_config",
]
