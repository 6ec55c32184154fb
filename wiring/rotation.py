"""Key rotation's parts, built for the composition root: settings, the sweep's steps, commands."""

from __future__ import annotations

from dataclasses import dataclass

from aws.access_keys import IamAccessKeys
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
    """Key rotation's parts that the sweep runs (recovery, retiring) and the issuer shares."""

    settings: RotationSettings
    iam: IamAccessKeys
    rotations: RotationRepository
    messages: SlackKeyMessages
    recovery: KeyRecovery
    retirer: KeyRetirer


def key_steps(config: Config, clients: AwsClients, store: Store, requests: Repository,
               jobs: JobQueue, audit: AuditLog, notifier: SlackNotifier) -> KeySteps:
    settings = rotation_settings(config)
    iam = IamAccessKeys(clients, settings.iam_user_tag)
    rotations = RotationRepository(store, audit)
    messages = SlackKeyMessages(notifier, config)
    recovery = KeyRecovery(rotations, iam, requests, notifier, jobs, store, new_owner(), messages,
                           settings.admins)
    retirer = KeyRetirer(rotations, iam, messages, notifier, jobs, store, settings)
    return KeySteps(settings, iam, rotations, messages, recovery, retirer)


def rotation_commands(steps: KeySteps, store: Store, requests: Repository, jobs: JobQueue,
              audit: AuditLog, notifier: SlackNotifier, gh: Gatehouse) -> RotationCommands:
    """Key rotation's commands; rotations an earlier run left undelivered are resumed."""
    settings, messages = steps.settings, steps.messages
    guard = KeyMappingGuard(KeyMappingRepository(store, audit), messages, notifier, settings)
    issuer = KeyIssuer(steps.rotations, steps.iam, messages, notifier, requests, jobs, store,
                       settings, steps.recovery, steps.retirer, guard)
    commands = RotationCommands(settings, steps.rotations, steps.iam, issuer, steps.retirer,
                                KeyRequests(requests), gh.access, requests, notifier, jobs, store,
                                audit)
    steps.recovery.resume(gh.now())
    return commands


