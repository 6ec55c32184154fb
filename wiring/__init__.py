"""The composition root: builds every store, service, Slack listener and timer from settings."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from aws.accounts import AccountSessions
from aws.clients import AwsClients
from aws.grants import AwsGrants
from config import (
    Config,
    ConfigError,
    Environment,
    environment_problems,
    load_config,
    load_environment,
)
from domain.requests import Kind
from handlers.digest_listeners import DigestFeature, register_digest
from handlers.home import HomePublisher, register_home
from handlers.listeners import Listeners, register
from handlers.notifier import SlackNotifier
from handlers.replies import Background, unexpected
from handlers.rotation import RotationHandlers, register_rotation
from http_app import create_wsgi_app
from metrics import Metrics
from oncall.pagerduty import PagerDuty
from scheduler import Scheduled, build_scheduler, schedule_table
from services.gatehouse import Gatehouse, utcnow
from services.rotation.commands import RotationCommands
from storage.audit import AuditLog
from storage.break_glass import BreakGlassRepository
from storage.database import Store, open_store
from storage.jobs import JobQueue
from storage.repository import Repository
from wiring.accounts import account_refresh, account_sessions, with_discovered_accounts
from wiring.digest import digest_feature
from wiring.identity_center import (
    IdentityCenterFeature,
    cleanup_timer,
    identity_center_feature,
    identity_center_jobs,
)
from wiring.jobs import job_table
from wiring.rotation import key_steps, rotation_commands

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


@dataclass
class Runtime:
    """Everything a running Gatehouse holds; built by `build`, started by the CLI."""

    env: Environment
    config: Config
    store: Store
    requests: Repository
    jobs: JobQueue
    audit: AuditLog
    notifier: SlackNotifier
    aws_clients: AwsClients
    accounts: AccountSessions
    aws_grants: AwsGrants
    gh: Gatehouse
    keys: RotationCommands
    digest: DigestFeature
    home: HomePublisher
    app: App
    background: Background
    listeners: Listeners
    scheduler: BackgroundScheduler
    metrics: Metrics
    identity_center: IdentityCenterFeature | None = None

    def healthy(self) -> bool:
        return self.store.healthy() and bool(self.scheduler.running)

    def wsgi(self, *, slack_events: bool = True) -> WsgiApp:
        """The HTTP app: signature and size checked on the raw body before Bolt parses it.

        `slack_events=False`: only /healthz and /metrics (Socket Mode's listener).
        """
        return create_wsgi_app(self.app, lambda: {"database": self.store.healthy(),
                                                  "scheduler": bool(self.scheduler.running)},
                               self.env.slack_signing_secret, metrics=self.metrics,
                               slack_events=slack_events)

    def start_background(self) -> None:
        """Start the scheduler and catch up with whatever fell due while stopped."""
        if not self.scheduler.running:
            self.scheduler.start()
        threading.Thread(target=self.gh.sweep, name="startup-sweep", daemon=True).start()

    def stop(self) -> None:
        """Let running jobs and replies finish, then close the database."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.background.shutdown()
        self.store.close()


def slack_client(env: Environment) -> WebClient:
    return WebClient(token=env.slack_bot_token, base_url=env.slack_api_url, timeout=15,
                     retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2),
                                     RateLimitErrorRetryHandler(max_retry_count=3),
                                     ServerErrorRetryHandler(max_retry_count=2)])


def _pagerduty(env: Environment) -> PagerDuty | None:
    return PagerDuty(env.pagerduty_token, env.pagerduty_url) if env.pagerduty_token else None


def load_settings(environ: Mapping[str, str]) -> tuple[Environment, Config]:
    """(Environment, Config) or ConfigError naming every problem."""
    env = load_environment(environ)
    problems = environment_problems(env)
    try:
        config = load_config(env.config_path)
    except ConfigError as exc:
        problems += exc.problems
        config = None
    if problems or config is None:
        raise ConfigError(problems)
    return env, config


def build(env: Environment, config: Config, *, clock: Callable[[], datetime] | None = None,
          aws_clients: AwsClients | None = None) -> Runtime:
    """Wire the whole bot; nothing starts until `start_background` and a server."""
    clock = clock or utcnow
    store = open_store(env.db_path)
    audit = AuditLog(store)
    requests, jobs = Repository(store, audit), JobQueue(store)
    metrics = observed(requests, jobs, audit, clock)
    client = slack_client(env)
    metrics.count_slack_errors(client)
    clients = aws_clients or AwsClients.from_environment(env.aws_region)
    metrics.count_aws_errors(clients.session.events)
    accounts = account_sessions(config, clients, metrics, clock)
    config = with_discovered_accounts(config, accounts)  # roles follow the accounts found now
    aws_grants = AwsGrants(clients, env.federation_url,
                           accounts if config.multi_account else None)
    background = Background()
    app = App(client=client, signing_secret=env.slack_signing_secret or "socket-mode",
              request_verification_enabled=not env.socket_mode,
              process_before_response=True, raise_error_for_unhandled_request=False)
    app.use(metrics.slack_middleware())
    # The notifier shows who may decide and refreshes Homes, which are built after it (they
    # need the services that need the notifier): these functions look them up when called.
    notifier = SlackNotifier(client, config,
                             deciders=lambda request: gh.rules.decision_makers(request),
                             on_home_changed=lambda users: home.changed(users))
    steps = key_steps(config, clients, store, requests, jobs, audit, notifier, accounts)
    idc = identity_center_feature(config, clients, store, requests, jobs, audit, notifier, clock)
    gh = Gatehouse.build(config=config, requests=requests, jobs=jobs, audit=audit, uow=store,
                         slack=notifier, aws=aws_grants, clock=clock, on_call=_pagerduty(env),
                         break_glass=BreakGlassRepository(store),
                         job_table=lambda access: job_table(access, steps,
                                                            identity_center_jobs(idc)),
                         activators={Kind.KEY: lambda request, now: keys.activate(request, now)},
                         identity_center=idc.grants if idc else None,
                         assignments=idc.endings if idc else None)
    keys = rotation_commands(steps, store, requests, jobs, audit, notifier, gh)
    key_handlers = RotationHandlers(keys, gh.now, background, config.identity.iam_user_tag)
    digest = digest_feature(config, store, audit, notifier, clients, gh, background, accounts)
    listeners = Listeners(gh, background,
                          feature_commands={"rotate-key": key_handlers.on_command,
                                            "digest": digest.on_command},
                          list_sources=[key_handlers.list_lines],
                          form_key=env.slack_signing_secret or env.slack_bot_token)
    home = HomePublisher(gh, client, background,
                         sections=[key_handlers.home_section, digest.home_section])
    register(app, listeners)
    register_rotation(app, key_handlers)
    register_digest(app, digest)
    register_home(app, home)
    register_fallbacks(app)
    scheduler = build_scheduler(_timers(config, gh, digest, account_refresh(config, accounts),
                                        cleanup_timer(idc, clock)),
                                timezone=config.timezone)
    return Runtime(env=env, config=config, store=store, requests=requests, jobs=jobs,
                   audit=audit, notifier=notifier, aws_clients=clients, accounts=accounts,
                   aws_grants=aws_grants,
                   gh=gh, keys=keys, digest=digest, home=home, app=app, background=background,
                   listeners=listeners, scheduler=scheduler, metrics=metrics,
                   identity_center=idc)


def observed(requests: Repository, jobs: JobQueue, audit: AuditLog,
             clock: Callable[[], datetime]) -> Metrics:
    """The bot's series: the audit log counts status moves, claims time job lag; the gauges
    read the database when scraped. Services are unchanged: the hooks sit on the adapters."""
    metrics = Metrics(active_grants=lambda: len(requests.live_grants()),
                      oldest_due=jobs.oldest_due, clock=clock)
    audit.append = metrics.counting_audit(audit.append)  # type: ignore[method-assign]
    jobs.claim = metrics.timing_claims(jobs.claim)  # type: ignore[method-assign]
    return metrics


def _timers(config: Config, gh: Gatehouse, digest: DigestFeature,
            discover: Callable[[], object] | None,
            cleanup: Callable[[], object] | None = None) -> list[Scheduled]:
    """The timer table (scheduler.py): the sweep always; the digest when it has a channel;
    Organizations discovery daily when `organization:` is set."""
    enabled = config.digest.enabled
    return schedule_table(sweep=gh.sweep, digest_daily=digest.daily if enabled else None,
                          digest_catch_up=digest.catch_up if enabled else None,
                          digest_at=config.digest.at if enabled else None,
                          discover_accounts=discover, assignment_cleanup=cleanup)


def register_fallbacks(app: App) -> None:
    """Anything no listener claims still gets an answer, never silence or a 5xx."""
    @app.action(re.compile(".*"))
    def stale_button(ack: Any, respond: Any) -> None:
        ack()
        respond(text="That button is not one Gatehouse knows; use `/access help`.",
                response_type="ephemeral", replace_original=False)

    @app.view(re.compile(".*"))
    def stale_view(ack: Any) -> None:
        ack()

    @app.event(re.compile(".*"))
    def other_event(ack: Any) -> None:
        ack()

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
        text = unexpected(error)
        return BoltResponse(status=200, body=json.dumps({"response_type": "ephemeral",
                                                          "text": text}),
                            headers={"Content-Type": "application/json"})
