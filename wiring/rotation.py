"""Key rotation's parts, built for the composition root: settings, the sweep's steps, commands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aws.access_keys import AccessKeysByAccount, IamAccessKeys
from aws.accounts import AccountSessions
from aws.clients import AwsClients
from config import Config
from handlers.notifier import SlackNotifier
from handlers.rotation import SlackKeyMessages
from services.gatehouse import Gatehouse
from services.rotation.commands import RotationCommands
from services.rotation.issuing import KeyIssuer
from services.rotation.mapping import KeyMappingGuard
from services.rotation.ports import RotationSettings
from services.rotation.recovery import KeyRecovery
from services.rotation.retiring import KeyRetirer
from services.rotation.shared import new_owner
from storage.audit import AuditLog
from storage.database import Store
from storage.jobs import JobQueue
from storage.key_mappings import KeyMappingRepository
from storage.repository import Repository
from storage.rotations import KeyRequests, RotationRepository


def rotation_settings(config: Config) -> RotationSettings:
    return RotationSettings(
        grace_period=config.keys.grace_period, delete_after=config.keys.delete_after,
        requires_approval=config.keys.requires_approval, admins=tuple(config.admins),
        iam_user_tag=config.identity.iam_user_tag, approvals_channel=config.approvals_channel,
        allow_first_key=config.keys.allow_first_key, allow_admin_keys=config.keys.allow_admin_keys,
        protected_users=tuple(config.keys.protected_users))


@dataclass(frozen=True)
class KeySteps:
    """Key rotation's parts that the sweep runs (recovery, retiring) and the issuer shares.

    `by_account` is set when `accounts:` or `organization:` is: every rotation then acts in
    its own account through that account's manage role, never with `iam` (Gatehouse's own).
    """

    settings: RotationSettings
    iam: IamAccessKeys
    rotations: RotationRepository
    messages: SlackKeyMessages
    recovery: KeyRecovery
    retirer: KeyRetirer
    by_account: AccessKeysByAccount | None = None


def key_steps(config: Config, clients: AwsClients, store: Store, requests: Repository,
              jobs: JobQueue, audit: AuditLog, notifier: SlackNotifier,
              accounts: AccountSessions | None = None) -> KeySteps:
    settings = rotation_settings(config)
    iam = IamAccessKeys(clients, settings.iam_user_tag)
    by_account = AccessKeysByAccount(accounts, settings.iam_user_tag) \
        if accounts is not None and config.multi_account else None
    rotations = RotationRepository(store, audit)
    messages = SlackKeyMessages(notifier, config, _account_names(accounts))
    recovery = KeyRecovery(rotations, iam, requests, notifier, jobs, store, new_owner(), messages,
                           settings.admins, by_account)
    retirer = KeyRetirer(rotations, iam, messages, notifier, jobs, store, settings, by_account)
    return KeySteps(settings, iam, rotations, messages, recovery, retirer, by_account)


def _account_names(accounts: AccountSessions | None) -> Callable[[str], str | None] | None:
    """An account id -> its name, for the key DM (None with one account)."""
    if accounts is None:
        return None

    def name(account_id: str) -> str | None:
        known = accounts.account(account_id)
        return known.name if known else None
    return name


def rotation_commands(steps: KeySteps, store: Store, requests: Repository, jobs: JobQueue,
                      audit: AuditLog, notifier: SlackNotifier,
                      gh: Gatehouse) -> RotationCommands:
    """Key rotation's commands; rotations an earlier run left undelivered are resumed."""
    settings, messages = steps.settings, steps.messages
    guard = KeyMappingGuard(KeyMappingRepository(store, audit), messages, notifier, settings)
    issuer = KeyIssuer(steps.rotations, steps.iam, messages, notifier, requests, jobs, store,
                       settings, steps.recovery, steps.retirer, guard, steps.by_account)
    commands = RotationCommands(settings, steps.rotations, steps.iam, issuer, steps.retirer,
                                KeyRequests(requests), gh.access, requests, notifier, jobs, store,
                                audit, steps.by_account)
    steps.recovery.resume(gh.now())
    return commands
