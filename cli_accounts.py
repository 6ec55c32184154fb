"""`check-config --online` with accounts: discovery, every manage role, every role there."""

from __future__ import annotations

from aws.account_checks import RoleToCheck, manage_role_problems, role_problems
from aws.accounts import AccountSessions
from aws.clients import AwsClients
from aws.sts import CallerIdentity
from config import Config, ConfigError
from wiring.accounts import with_discovered_accounts


def online_account_problems(config: Config, hub: AwsClients, caller: CallerIdentity) -> list[str]:
    """One line per failure, each naming the key or the account it is about."""
    sessions = AccountSessions(hub, config.named_accounts())
    try:
        config = with_discovered_accounts(config, sessions)
    except ConfigError as exc:
        return exc.problems
    problems, reached = manage_role_problems(sessions)
    roles = [RoleToCheck(name, role.arn, role.max_duration) for name, role in config.roles.items()]
    return problems + role_problems(sessions, roles, reached, caller.arn)
