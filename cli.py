"""The `python bot.py …` subcommands: run, sandbox, check-config, digest and audit."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from typing import Any, TextIO

from config import ConfigError

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
        "run": _run, "sandbox": _sandbox, "check-config": _check_config,
        "digest": _digest, "audit": lambda a, e: _audit(a, e, out),
    }
    try:
        return handlers[command](args, environ)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, environ: dict[str, str]) -> int:
    from bot import run

    return run(environ)


def _sandbox(args: argparse.Namespace, environ: dict[str, str]) -> int:
    try:
        from sandbox.app import run_sandbox
    except ImportError as exc:
        print(f"The sandbox needs the development requirements: {exc}. "
              "Install them with `pip install -r requirements-dev.txt`.", file=sys.stderr)
        return 2
    return run_sandbox(environ)


def _check_config(args: argparse.Namespace, environ: dict[str, str]) -> int:
    from bot import load_settings

    env, config = load_settings(environ)
    problems = _online_problems(env, config) if args.online else []
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"config: ok, {len(config.roles)} roles, {env.config_path}")
    return 0


def _online_problems(env: Any, config: Any) -> list[str]:
    from aws.clients import AwsClients
    from aws.errors import AwsError
    from aws.iam import role_max_session_seconds
    from aws.sts import caller_identity
    from bot import slack_client

    problems = []
    try:
        slack_client(env).auth_test()
    except Exception as exc:  # any failure here is a finding to print, not a crash
        problems.append(f"SLACK_BOT_TOKEN: Slack auth.test failed: {exc}")
    clients = AwsClients.from_environment(env.aws_region)
    try:
        caller_identity(clients.sts())
    except AwsError as exc:
        problems.append(f"AWS credentials: STS GetCallerIdentity failed: {exc}")
        return problems
    for name, role in config.roles.items():
        try:
            limit = role_max_session_seconds(clients.iam(), role.arn)
        except AwsError as exc:
            problems.append(f"roles.{name}.arn: {exc}")
            continue
        if role.max_duration > limit:
            problems.append(f"roles.{name}.max_duration: longer than the role's "
                            f"MaxSessionDuration ({limit // 60} minutes) in IAM")
    return problems


def _digest(args: argparse.Namespace, environ: dict[str, str]) -> int:
    try:
        from digest_cli import print_digest
    except ImportError:
        print("The digest is not available in this build yet.", file=sys.stderr)
        return 2
    return print_digest(environ, post=not args.print_only)


def _audit(args: argparse.Namespace, environ: dict[str, str], out: TextIO) -> int:
    from config import load_environment
    from storage.audit import AuditLog, export
    from storage.database import open_store

    env = load_environment(environ)
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
