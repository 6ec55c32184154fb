"""The accounts Gatehouse works in, built for the composition root: named and discovered."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from aws.accounts import AccountSessions
from aws.clients import AwsClients
from aws.errors import AwsError
from aws.organizations import Discovery, discover_accounts
from config import Config, ConfigError
from domain.accounts import Account
from metrics import Metrics

log = logging.getLogger("gatehouse.accounts")


def account_sessions(config: Config, hub: AwsClients, metrics: Metrics,
                     clock: Callable[[], datetime]) -> AccountSessions:
    """Sessions for the accounts under `accounts:`; AWS errors in them are counted too."""
    return AccountSessions(hub, config.named_accounts(), clock=clock,
                           on_session=lambda session: metrics.count_aws_errors(session.events))


def discovery_of(config: Config) -> Discovery | None:
    """How `organization:` asks for accounts to be found, or None when it is not set."""
    org = config.organization
    if org is None:
        return None
    return Discovery(manage_role_name=org.manage_role_name, include=tuple(org.include),
                     external_id=org.external_id, region=org.region)


def known_accounts(config: Config, hub: AwsClients) -> list[Account]:
    """The named accounts, then those Organizations discovery finds (AwsError when it fails)."""
    discovery = discovery_of(config)
    if discovery is None:
        return config.named_accounts()
    return discover_accounts(hub.organizations(), discovery, config.named_accounts())


def with_discovered_accounts(config: Config, sessions: AccountSessions) -> Config:
    """At start: discover the organisation's accounts, give them to the sessions, and return
    the config with its roles expanded over them. ConfigError, naming organization: and the
    AWS reason, when discovery fails; role names then stay as they are until a restart."""
    if config.organization is None:
        return config
    try:
        accounts = known_accounts(config, sessions.hub)
    except AwsError as exc:
        raise ConfigError([f"organization: discovering the organisation's accounts failed: "
                           f"{exc}; allow organizations:ListAccounts and ListParents, or "
                           "remove organization: and list the accounts under accounts:"]) from None
    sessions.set_accounts(accounts)
    return config.with_accounts(accounts)


def account_refresh(config: Config, sessions: AccountSessions) -> Callable[[], None] | None:
    """The daily re-discovery (None without organization:): accounts that joined or left the
    organisation reach the sessions, and so the digest and key rotation; a failure keeps the
    accounts known so far."""
    if config.organization is None:
        return None

    def refresh() -> None:
        accounts = known_accounts(config, sessions.hub)
        sessions.set_accounts(accounts)
        log.info("accounts discovered", extra={"accounts": len(accounts)})
    return refresh
