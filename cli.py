"""The `python bot.py …` subcommands: run, check-config, digest, audit, policy (bot.py: sandbox)."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from botocore.client import BaseClient

from aws.clients import AwsClients
from aws.grants import AwsGrants, foreign_role_line
from aws.iam import account_of_role, check_target_role, role_max_session_seconds
from aws.own_policies import own_policy_documents
from aws.sts import CallerIdentity, caller_identity
from config import (
    Config,
    ConfigError,
    Environment,
    environment_problems,
    load_config,
    load_environment,
)
from domain.access_policy import GroupUnreadable
from domain.digest import Digest
from domain.digest_text import incomplete, render_text
from domain.errors import AwsError, UserError
from domain.iam import creates_keys_for_every_user
from handlers.digest_slack import SlackDigestPublisher
from handlers.notifier import usergroup_handles
from http_app import MAX_BODY_BYTES
from logs import setup_logging
from services.access_rules import explain_role
from services.gatehouse import utcnow
from storage.audit import AuditLog, export
from storage.database import open_store
from wiring import Runtime, build, digest_service, load_settings, slack_client

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
    audit = sub.add_parser("audit", help="verify or export the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command")
    audit_sub.add_parser("verify", help="check the hash chain")
    export = audit_sub.add_parser("export", help="write the audit log to stdout")
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--since", type=_iso_date, help="only entries on or after this date")
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
    problems = AwsGrants(clients, env.federation_url).foreign_roles(
        {name: role.arn for name, role in config.roles.items()})
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
    problems = _online_problems(env, config) if args.online else []
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"config: ok, {len(config.roles)} roles, {env.config_path}")
    return 0


def _online_problems(env: Environment, config: Config) -> list[str]:
    problems = []
    try:
        slack_client(env).auth_test()
    except Exception as exc:  # any failure here is a finding to print, not a crash
        problems.append(f"SLACK_BOT_TOKEN: Slack auth.test failed: {exc}")
    clients = AwsClients.from_environment(env.aws_region)
    try:
        caller = caller_identity(clients.sts())
    except AwsError as exc:
        problems.append(f"AWS credentials: STS GetCallerIdentity failed: {exc}")
        return problems
    iam = clients.iam()
    for name, role in config.roles.items():
        problems += _role_problems(iam, name, role.arn, role.max_duration, caller)
    return problems + _own_policy_problems(iam, caller.arn)


def _role_problems(iam: BaseClient, name: str, arn: str, max_duration: int,
                   caller: CallerIdentity) -> list[str]:
    key = f"roles.{name}.arn"
    if account_of_role(arn) != caller.account:
        return [foreign_role_line(name, arn, caller.account)]
    try:
        limit = role_max_session_seconds(iam, arn)
    except AwsError as exc:
        return [f"{key}: {exc}"]
    problems = check_target_role(iam, key, arn, caller.arn)
    if max_duration > limit:
        problems.append(f"roles.{name}.max_duration: longer than the role's "
                        f"MaxSessionDuration ({limit // 60} minutes) in IAM")
    return problems


def _own_policy_problems(iam: BaseClient, caller_arn: str) -> list[str]:
    """Gatehouse's own identity must not be able to create access keys for every IAM user."""
    try:
        documents = own_policy_documents(iam, caller_arn)
    except AwsError as exc:
        return [f"AWS identity: could not read Gatehouse's own policies to check them "
                f"({exc}); allow it to read its own policies, or check by hand that it cannot "
                "create access keys for every IAM user"]
    if creates_keys_for_every_user(documents):
        return [f"AWS identity: {caller_arn} may call iam:CreateAccessKey for every IAM user; "
                "scope it to a path and the mapping tag as in deploy/iam-policy-keys.json"]
    return []


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
    return print_digest(environ, post=not args.print_only)


def print_digest(environ: Mapping[str, str], post: bool, *, now: datetime | None = None,
                 aws_clients: AwsClients | None = None, out: TextIO | None = None,
                 sleep: Callable[[float], None] | None = None) -> int:
    """Print the digest, or post it as the bot would; exit 1 when no source could be read.

    A digest missing only some sources exits 0 and names them in its headline. Printing keeps
    nothing: the next posted digest still compares with the last posted one.
    """
    env = load_environment(environ)
    config = load_config(env.config_path)
    clients = aws_clients or AwsClients.from_environment(env.aws_region)
    moment, out = now or utcnow(), out or sys.stdout
    if post:
        problems = [p for p in environment_problems(env) if p.startswith("SLACK_BOT_TOKEN")]
        if problems:
            raise ConfigError(problems)
    store = open_store(env.db_path)
    publisher = SlackDigestPublisher(slack_client(env), config.digest.channel or "") \
        if post else None
    service = digest_service(config, store, AuditLog(store), clients, publisher=publisher,
                             sleep=sleep or time.sleep)
    try:
        if not post:
            digest, _ = service.build(moment)
            out.write(render_text(digest))
            return _nothing_read(digest)
        if not config.digest.enabled:
            raise ConfigError(["digest.channel: required to post the digest; "
                               "use --print to print it instead"])
        digest, _ = service.post(moment, trigger="cli", actor="cli")
        print(f"digest: posted in {config.digest.channel}, {len(digest.findings)} open findings"
              f"{incomplete(digest)}", file=out)
        return _nothing_read(digest)
    finally:
        store.close()


def _nothing_read(digest: Digest) -> int:
    """1 when the digest could read no source (it checked nothing), else 0."""
    if not digest.nothing_read:
        return 0
    print("digest: no source could be read, so nothing was checked; check the AWS credentials "
          "and the permissions in deploy/ (the missing sources say why)", file=sys.stderr)
    return 1


def _audit(args: argparse.Namespace, environ: dict[str, str], out: TextIO) -> int:
    env = load_environment(environ)
    if not Path(env.db_path).is_file():
        print(f"audit: there is no database at {env.db_path}; set GATEHOUSE_DB to the database "
              "the bot writes (nothing was created)", file=sys.stderr)
        return 2
    audit = AuditLog(open_store(env.db_path))
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
