"""How key rotation and the digest are assembled from their adapters, for the composition root."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws.access_keys import IamAccessKeys
from aws.account_data import AwsAccountData
from aws.clients import AwsClients
from aws.fixes import IamFixes
from config import Config
from domain.requests import Kind
from handlers.digest_listeners import DigestFeature
from handlers.digest_listeners import register_digest as register_digest_listeners
from handlers.digest_slack import SlackDigestPublisher
from handlers.notifier import SlackNotifier
from handlers.rotation import RotationHandlers, SlackKeyMessages, register_rotation
from services.access import AccessService
from services.digest import DigestService
from services.digest_actions import DigestActions
from services.digest_ports import Publisher
from services.rotation.commands import RotationCommands
from services.rotation.issuing import KeyIssuer
from services.rotation.mapping import KeyMappingGuard
from services.rotation.ports import RotationSettings
from services.rotation.recovery import KeyRecovery
from services.rotation.retiring import KeyRetirer
from services.rotation.shared import new_owner
from services.sweep import Sweeper
from storage.audit import AuditLog
from storage.database import Store
from storage.digests import DigestStore
from storage.jobs import JobQueue
from storage.key_mappings import KeyMappingRepository
from storage.repository import Repository
from storage.rotations import KeyRequests, RotationRepository


@dataclass(frozen=True)
class RotationFeature:
    """Key rotation, built: the commands, the recovery (resumed at start) and the job table."""

    commands: RotationCommands
    recovery: KeyRecovery
    jobs: dict[str, Callable[[Any, datetime], None]]


def rotation_settings(config: Config) -> RotationSettings:
    return RotationSettings(
        grace_period=config.keys.grace_period, delete_after=config.keys.delete_after,
        requires_approval=config.keys.requires_approval, admins=tuple(config.admins),
        iam_user_tag=config.identity.iam_user_tag, approvals_channel=config.approvals_channel,
        allow_first_key=config.keys.allow_first_key, allow_admin_keys=config.keys.allow_admin_keys,
        protected_users=tuple(config.keys.protected_users))


def build_rotation(config: Config, clients: AwsClients, store: Store, repo: Repository,
                   jobs: JobQueue, audit: AuditLog, notifier: SlackNotifier,
                   access: AccessService) -> RotationFeature:
    settings = rotation_settings(config)
    iam = IamAccessKeys(clients, settings.iam_user_tag)
    rotations = RotationRepository(store, audit)
    messages = SlackKeyMessages(notifier, config)
    recovery = KeyRecovery(rotations, iam, repo, notifier, jobs, store, new_owner(), messages,
                           settings.admins)
    retirer = KeyRetirer(rotations, iam, messages, notifier, jobs, store, settings)
    guard = KeyMappingGuard(KeyMappingRepository(store, audit), messages, notifier, settings)
    issuer = KeyIssuer(rotations, iam, messages, notifier, repo, jobs, store, settings,
                       recovery, retirer, guard)
    commands = RotationCommands(settings, rotations, iam, issuer, retirer, KeyRequests(repo),
                                access, repo, notifier, jobs, store, audit)
    job_handlers = {**recovery.job_handlers(), **retirer.job_handlers()}
    return RotationFeature(commands, recovery, job_handlers)


def build_digest_service(config: Config, clients: AwsClients, store: Store,
                         publisher: Publisher | None,
                         sleep: Callable[[float], None] = time.sleep) -> DigestService:
    return DigestService(config, DigestStore(store), AuditLog(store),
                         AwsAccountData(clients, sleep=sleep), publisher=publisher)


def build_digest_actions(config: Config, clients: AwsClients, store: Store) -> DigestActions:
    return DigestActions(config, DigestStore(store), AuditLog(store), IamFixes(clients))


def register_keys(runtime: Any) -> RotationCommands:
    """Key rotation in a built runtime: services, jobs, command, buttons, list, home."""
    gh, config = runtime.gh, runtime.config
    ctx = gh.ctx
    rotation = build_rotation(config, runtime.extras["aws_clients"], runtime.store, ctx.repo,
                              ctx.jobs, ctx.audit, ctx.slack, gh.access)
    _register_jobs(gh.sweeper, rotation.jobs)
    rotation.recovery.resume(gh.now())
    gh.grants.activators[Kind.KEY] = rotation.commands.activate
    gh.extras["keys"] = rotation.commands
    handlers = RotationHandlers(rotation.commands, gh.now, runtime.background,
                                config.identity.iam_user_tag)
    runtime.listeners.extra_commands["rotate-key"] = handlers.on_command
    runtime.listeners.list_extras.append(handlers.list_lines)
    runtime.extras["home_sections"].append(handlers.home_section)
    register_rotation(runtime.app, handlers)
    return rotation.commands


def register_digest(runtime: Any) -> DigestFeature:
    """The digest in a built runtime: command, buttons, modal, home, daily job."""
    config, gh, clients = runtime.config, runtime.gh, runtime.extras["aws_clients"]
    publisher = SlackDigestPublisher(gh.ctx.slack.client, config.digest.channel or "")
    service = build_digest_service(config, clients, runtime.store, publisher.publish)
    actions = build_digest_actions(config, clients, runtime.store)
    feature = DigestFeature(config, service, actions, gh.ctx.slack, runtime.background, gh.now)
    runtime.listeners.extra_commands["digest"] = feature.on_command
    runtime.extras.setdefault("home_sections", []).append(feature.home_section)
    runtime.extras["digest"] = feature
    register_digest_listeners(runtime.app, feature, runtime.scheduler)
    return feature


def _register_jobs(sweeper: Sweeper, handlers: dict[str, Callable[[Any, datetime], None]]
                   ) -> None:
    for action, handler in handlers.items():
        sweeper.register(action, handler)
