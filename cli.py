"""The `python bot.py …` subcommands: run, check-config, digest, audit, policy (bot.py: sandbox)."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from aws.clients import AwsClients
from aws.grants import AwsGrants
from cli_checks import online_problems
from cli_digest import print_digest
from config import (
    ConfigError,
    load_config,
    load_environment,
)
from domain.access_policy import GroupUnreadable
from domain.errors import UserError
from handlers.notifier import usergroup_handles
from http_app import MAX_BODY_BYTES
from logs import setup_logging
from services.access_rules import explain_role
from storage.audit import AuditLog, export
from storage.database import database_exists, open_store
from storage.migrate import run_migrate
from wiring import Runtime, build, load_settings, slack_client

log = logging.getLogger("gatehouse")

Command = Callable[[argparse.Namespace, dict[str, str]], int]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python bot.py", description="Gatehouse: temporary "
                                     "AWS access from Slack, key rotation and an IAM digest.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default)")
    sub.add_parser("sandbox", help="run everything locally: emulated AWS, Slack-like page")
    check = sub.add_parser("check-config", help="validate the config file and environment")
    check.add_argument("--online", action="store_true",
                       help="also call Slack auth.test, STS GetCallerIdentity and IAM GetRole")
    digest = sub.add_parser("digest", help="build today's IAM hygiene digest")
    digest.add_argument("--print", action="store_true", dest="print_only",
                        help="print it in the terminal instead of posting it")
    digest.add_argument("--account", metavar="NAME",
                        help="with --print and accounts configured: only this account")
    audit = sub.add_parser("audit", help="verify or export the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command")
    audit_sub.add_parser("verify", help="check the hash chain")
    export = audit_sub.add_parser("export", help="write the audit log to stdout")
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--since", type=_iso_date, help="only entries on or after this date")
    sub.add_parser("migrate", help="create or upgrade the schema of GATEHOUSE_DB")
    policy = sub.add_parser("policy", help="explain a role's rules, as /access who-can does")
    policy.add_argument("action", choices=["explain"])
    policy.add_argument("role")
    return parser


def _iso_date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; write it as YYYY-MM-DD") \
            from None


def dispatch(argv: list[str], environ: dict[str, str], out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = _parser().parse_args(argv)
    command = args.command or "run"
    handlers: dict[str, Command] = {
        "run": _run, "sandbox": _no_sandbox, "check-config": _check_config,
        "digest": _digest, "audit": lambda a, e: _audit(a, e, out),
        "policy": lambda a, e: _explain(a, e, out),
        "migrate": lambda a, e: run_migrate(load_environment(e).db_path, out),
    }
    try:
        return handlers[command](args, environ)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        hint = _missing_config_hint(exc.problems, environ)
        if hint:
            print(hint, file=sys.stderr)
        return 2


def _missing_config_hint(problems: list[str], environ: Mapping[str, str]) -> str | None:
    """How to start a config file, when the one named does not exist."""
    path = load_environment(environ).config_path
    if Path(path).exists() or not any(p.startswith("config: cannot read") for p in problems):
        return None
    return (f"To start one, copy the example and edit it: cp gatehouse.example.yml {path} "
            "(or point GATEHOUSE_CONFIG at your config file).")


def _run(args: argparse.Namespace, environ: dict[str, str]) -> int:
    return run(environ)


def run(environ: Mapping[str, str]) -> int:
    env, config = load_settings(environ)
    clients = AwsClients.from_environment(env.aws_region)
    problems = [] if config.multi_account else AwsGrants(clients, env.federation_url) \
        .foreign_roles({name: role.arn for name, role in config.roles.items()})
    if problems:  # the bot learns its account first and refuses roles it would revoke wrongly
        raise ConfigError(problems)
    setup_logging(env.log_level)
    runtime = build(env, config, aws_clients=clients)
    runtime.start_background()
    try:
        (serve_socket_mode if env.socket_mode else serve_http)(runtime)
    finally:
        runtime.stop()
    return 0


def serve_http(runtime: Runtime) -> None:
    from waitress import serve

    log.info("listening", extra={"host": runtime.env.host, "port": runtime.env.port})
    serve(runtime.wsgi(), host=runtime.env.host, port=runtime.env.port, threads=8,
          ident="gatehouse", max_request_body_size=MAX_BODY_BYTES)


def serve_socket_mode(runtime: Runtime) -> None:
    """Slack over a WebSocket; /healthz and /metrics still answer on HOST:PORT."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    threading.Thread(target=health_listener(runtime).run, name="health-listener",
                     daemon=True).start()
    log.info("connecting in Socket Mode")
    SocketModeHandler(runtime.app, runtime.env.slack_app_token).start()


def health_listener(runtime: Runtime) -> Any:
    """A waitress server (not yet running) for /healthz and /metrics only."""
    from waitress.server import create_server

    server = create_server(runtime.wsgi(slack_events=False), host=runtime.env.host,
                           port=runtime.env.port, threads=2, ident="gatehouse")
    log.info("serving /healthz and /metrics", extra={"host": runtime.env.host,
                                                    "port": server.effective_port})
    return server


def _no_sandbox(args: argparse.Namespace, environ: dict[str, str]) -> int:
    """The sandbox is started by bot.py itself, so that the production CLI never loads it."""
    print("Start the sandbox with `python bot.py sandbox`.", file=sys.stderr)
    return 2


def _check_config(args: argparse.Namespace, environ: dict[str, str]) -> int:
    env, config = load_settings(environ)
    problems = online_problems(env, config) if args.online else []
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"config: ok, {len(config.roles)} roles, {env.config_path}")
    return 0


def _explain(args: argparse.Namespace, environ: dict[str, str], out: TextIO) -> int:
    """`policy explain <role>`: the text of `/access who-can <role>`, groups read from Slack."""
    env = load_environment(environ)
    config, client = load_config(env.config_path), slack_client(env)

    def members(group: str, fresh: bool = True) -> list[str]:
        if not env.slack_bot_token:
            raise GroupUnreadable("SLACK_BOT_TOKEN is not set")
        return list(client.usergroups_users_list(usergroup=group)["users"])
    def handles() -> dict[str, str]:
        return usergroup_handles(client) if env.slack_bot_token else {}
    try:
        print(explain_role(config, args.role, members, handles), file=out)
    except UserError as refusal:
        print(f"policy: {refusal}", file=sys.stderr)
        return 2
    return 0


def _digest(args: argparse.Namespace, environ: dict[str, str]) -> int:
    return print_digest(environ, post=not args.print_only, account=args.account)


def _audit(args: argparse.Namespace, environ: dict[str, str], out: TextIO) -> int:
    env = load_environment(environ)
    if not database_exists(env.db_path):
        print(f"audit: there is no database at {env.db_path}; set GATEHOUSE_DB to the database "
              "the bot writes (nothing was created)", file=sys.stderr)
        return 2
    store = open_store(env.db_path)
    try:
        return _audit_on(args, AuditLog(store), out)
    finally:
        store.close()


def _audit_on(args: argparse.Namespace, audit: AuditLog, out: TextIO) -> int:
    if args.audit_command == "export":
        export(audit.entries(since=args.since), args.format, out)
        return 0
    if args.audit_command != "verify":
        print("Say what to do: `python bot.py audit verify` or `python bot.py audit export`",
              file=sys.stderr)
        return 2
    count, bad = audit.verify()
    if bad is not None:
        print(f"audit: entry {bad} does not match the hash chain ({count} entries before it "
              "are intact)", file=out)
        return 1
    print(f"audit: ok, {count} entries", file=out)
    return 0
