"""Gatehouse's composition root and command line: settings → clients → database → app → start."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

log = logging.getLogger("gatehouse")


@dataclass
class Runtime:
    """Everything a running Gatehouse holds; built by `build`, started by `serve_*`."""

    env: Any
    config: Any
    store: Any
    gh: Any
    app: Any
    background: Any
    listeners: Any
    scheduler: Any
    extras: dict[str, Any] = field(default_factory=dict)

    def healthy(self) -> bool:
        return self.store.healthy() and bool(self.scheduler.running)

    def wsgi(self) -> Callable[..., Any]:
        from http_app import create_wsgi_app

        return create_wsgi_app(self.app, lambda: {"database": self.store.healthy(),
                                                  "scheduler": bool(self.scheduler.running)},
                               self.env.slack_signing_secret)

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


def slack_client(env: Any) -> Any:
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import (
        ConnectionErrorRetryHandler,
        RateLimitErrorRetryHandler,
        ServerErrorRetryHandler,
    )

    return WebClient(token=env.slack_bot_token, base_url=env.slack_api_url, timeout=15,
                     retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2),
                                     RateLimitErrorRetryHandler(max_retry_count=3),
                                     ServerErrorRetryHandler(max_retry_count=2)])


def build(env: Any, config: Any, *, clock: Callable[[], datetime] | None = None,
          aws_clients: Any = None) -> Runtime:
    """Wire the whole bot; nothing starts until `start_background` and a server."""
    from slack_bolt import App

    from aws.clients import AwsClients
    from aws.grants import AwsGrants
    from handlers.digest_listeners import register_digest
    from handlers.home import register_home
    from handlers.keys import register_keys
    from handlers.listeners import register
    from handlers.notifier import SlackNotifier
    from handlers.replies import Background
    from jobs import build_scheduler
    from services.context import Context
    from services.gatehouse import Gatehouse, utcnow
    from storage.audit import AuditLog
    from storage.database import open_store
    from storage.jobs import JobQueue
    from storage.repository import Repository

    store = open_store(env.db_path)
    audit = AuditLog(store)
    client = slack_client(env)
    notifier = SlackNotifier(client, config)
    clients = aws_clients or AwsClients.from_environment(env.aws_region)
    ctx = Context(config=config, repo=Repository(store, audit), jobs=JobQueue(store),
                  audit=audit, slack=notifier, aws=AwsGrants(clients, env.federation_url))
    notifier.deciders = ctx.decision_makers
    gh = Gatehouse.build(ctx, clock or utcnow)
    app = App(client=client, signing_secret=env.slack_signing_secret or "socket-mode",
              request_verification_enabled=not env.socket_mode,
              process_before_response=True, raise_error_for_unhandled_request=False)
    background = Background()
    listeners = register(app, gh, background)
    scheduler = build_scheduler(gh.sweep, timezone=config.timezone)
    runtime = Runtime(env, config, store, gh, app, background, listeners, scheduler)
    runtime.extras["aws_clients"] = clients
    # Each feature adds a callable (user id -> Block Kit blocks) for the App Home tab.
    runtime.extras["home_sections"] = []
    register_keys(runtime)
    register_digest(runtime)
    register_home(runtime)
    _register_fallbacks(app)
    return runtime


def _register_fallbacks(app: Any) -> None:
    """Anything no listener claims still gets an answer, never silence or a 5xx."""
    from handlers.replies import unexpected

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
    def on_error(error: Exception, body: dict[str, Any]) -> Any:
        from slack_bolt import BoltResponse

        text = unexpected(error)
        return BoltResponse(status=200, body=json.dumps({"response_type": "ephemeral",
                                                          "text": text}),
                            headers={"Content-Type": "application/json"})


def serve_http(runtime: Runtime) -> None:
    from waitress import serve

    from http_app import MAX_BODY_BYTES

    log.info("listening", extra={"host": runtime.env.host, "port": runtime.env.port})
    serve(runtime.wsgi(), host=runtime.env.host, port=runtime.env.port, threads=8,
          ident="gatehouse", max_request_body_size=MAX_BODY_BYTES)


def serve_socket_mode(runtime: Runtime) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    log.info("connecting in Socket Mode")
    SocketModeHandler(runtime.app, runtime.env.slack_app_token).start()


def load_settings(environ: Mapping[str, str]) -> tuple[Any, Any]:
    """(Environment, Config) or ConfigError naming every problem."""
    from config import ConfigError, environment_problems, load_config, load_environment

    env = load_environment(environ)
    problems = environment_problems(env)
    try:
        config = load_config(env.config_path)
    except ConfigError as exc:
        problems += exc.problems
        config = None
    if problems:
        raise ConfigError(problems)
    return env, config


def run(environ: Mapping[str, str]) -> int:
    from logs import setup_logging

    env, config = load_settings(environ)
    setup_logging(env.log_level)
    runtime = build(env, config)
    runtime.start_background()
    try:
        (serve_socket_mode if env.socket_mode else serve_http)(runtime)
    finally:
        runtime.stop()
    return 0


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    from cli import dispatch

    return dispatch(sys.argv[1:] if argv is None else argv,
                    dict(os.environ if environ is None else environ))


if __name__ == "__main__":
    sys.exit(main())
