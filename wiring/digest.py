"""The digest's parts, built for the composition root and for `python bot.py digest`."""

from __future__ import annotations

import time
from collections.abc import Callable

from aws.account_data import AwsAccountData
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
from storage.audit import AuditLog
from storage.database import Store
from storage.digests import DigestStore


def digest_service(config: Config, store: Store, audit: AuditLog, clients: AwsClients, *,
                   publisher: SlackDigestPublisher | None = None,
                   sleep: Callable[[float], None] = time.sleep) -> DigestService:
    """The one way the digest service is built, for the bot and for `python bot.py digest`."""
    return DigestService(config, DigestStore(store), audit, AwsAccountData(clients, sleep=sleep),
                         publisher=publisher.publish if publisher else None)


def digest_feature(config: Config, store: Store, audit: AuditLog, notifier: SlackNotifier,
                    clients: AwsClients, gh: Gatehouse, background: Background) -> DigestFeature:
    publisher = SlackDigestPublisher(notifier.client, config.digest.channel or "")
    service = digest_service(config, store, audit, clients, publisher=publisher)
    actions = DigestActions(config, service.store, audit, IamFixes(clients))
    return DigestFeature(config, service, actions, notifier, background, gh.now)


