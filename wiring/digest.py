"""The digest's parts, built for the composition root and for `python bot.py digest`."""

from __future__ import annotations

import time
from collections.abc import Callable

from aws.account_data import AwsAccountData, AwsOrgData
from aws.accounts import AccountSessions
from aws.clients import AwsClients
from aws.fixes import IamFixes
from config import Config
from handlers.digest_listeners import DigestFeature
from handlers.digest_slack import SlackDigestPublisher
from handlers.notifier import SlackNotifier
from handlers.replies import Background
from services.digest import DigestService
from services.digest_actions import DigestActions
from services.gatehouse import Gatehouse
from services.org_digest import OrgDigestBuilder
from storage.audit import AuditLog
from storage.database import Store
from storage.digests import DigestStore
from wiring.accounts import with_discovered_accounts
from wiring.identity_center import identity_center_drift


def digest_service(config: Config, store: Store, audit: AuditLog, clients: AwsClients, *,
                   publisher: SlackDigestPublisher | None = None,
                   sleep: Callable[[float], None] = time.sleep,
                   accounts: AccountSessions | None = None) -> DigestService:
    """The one way the digest service is built, for the bot and for `python bot.py digest`.

    With accounts: or organization: configured (and the sessions given), the digest covers
    every account of the organisation."""
    digests = DigestStore(store)
    drift = identity_center_drift(config, clients, store, accounts)
    org = OrgDigestBuilder(config, digests, AwsOrgData(accounts, sleep=sleep), extra=drift) \
        if config.multi_account and accounts is not None else None
    return DigestService(config, digests, audit, AwsAccountData(clients, sleep=sleep),
                         publisher=publisher.publish if publisher else None, org=org)


def digest_feature(config: Config, store: Store, audit: AuditLog, notifier: SlackNotifier,
                   clients: AwsClients, gh: Gatehouse, background: Background,
                   accounts: AccountSessions | None = None) -> DigestFeature:
    publisher = SlackDigestPublisher(notifier.client, config.digest.channel or "")
    service = digest_service(config, store, audit, clients, publisher=publisher,
                             accounts=accounts)
    in_account = (lambda account_id: IamFixes(accounts.clients(account_id))) \
        if service.org and accounts else None
    actions = DigestActions(config, service.store, audit, IamFixes(clients), in_account)
    return DigestFeature(config, service, actions, notifier, background, gh.now)


def org_sessions(config: Config, clients: AwsClients) -> AccountSessions | None:
    """Sessions for the named and discovered accounts, for `python bot.py digest` (None: one
    account); ConfigError naming organization: when discovery fails."""
    if not config.multi_account:
        return None
    sessions = AccountSessions(clients, config.named_accounts())
    with_discovered_accounts(config, sessions)
    return sessions
