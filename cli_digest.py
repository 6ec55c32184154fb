"""`python bot.py digest [--print] [--account NAME]`: print or post the hygiene digest."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TextIO

from aws.accounts import AccountSessions
from aws.clients import AwsClients
from config import ConfigError, environment_problems, load_config, load_environment
from domain.digest_text import incomplete, render_text
from domain.errors import UserError
from domain.org_digest import OrgDigest
from domain.org_digest_text import render_org_text
from handlers.digest_slack import SlackDigestPublisher
from services.digest import DigestService
from services.digest_ports import AnyDigest
from services.gatehouse import utcnow
from storage.audit import AuditLog
from storage.database import open_store
from wiring import slack_client
from wiring.digest import digest_service, org_sessions


def print_digest(environ: Mapping[str, str], post: bool, *, now: datetime | None = None,
                 aws_clients: AwsClients | None = None, out: TextIO | None = None,
                 sleep: Callable[[float], None] | None = None, account: str | None = None,
                 accounts: AccountSessions | None = None) -> int:
    """Print the digest, or post it as the bot would; exit 1 when no source could be read.

    A digest missing only some sources exits 0 and names them in its headline. Printing keeps
    nothing: the next posted digest still compares with the last posted one. With accounts
    configured it covers every account; `account` prints that one account only.
    """
    env = load_environment(environ)
    config = load_config(env.config_path)
    clients = aws_clients or AwsClients.from_environment(env.aws_region)
    moment, out = now or utcnow(), out or sys.stdout
    if account is not None and (post or not config.multi_account):
        raise ConfigError([_account_refusal(post)])
    if post:
        problems = [p for p in environment_problems(env) if p.startswith("SLACK_BOT_TOKEN")]
        if problems:
            raise ConfigError(problems)
    publisher = SlackDigestPublisher(slack_client(env), config.digest.channel or "") \
        if post else None
    accounts = accounts or org_sessions(config, clients)
    store = open_store(env.db_path)
    service = digest_service(config, store, AuditLog(store), clients, publisher=publisher,
                             sleep=sleep or time.sleep, accounts=accounts)
    try:
        if not post:
            return _print(service, moment, account, out)
        if not config.digest.enabled:
            raise ConfigError(["digest.channel: required to post the digest; "
                               "use --print to print it instead"])
        digest, _ = service.post(moment, trigger="cli", actor="cli")
        print(f"digest: posted in {config.digest.channel}, {len(digest.findings)} open findings"
              f"{incomplete(digest)}", file=out)
        return _nothing_read(digest)
    finally:
        store.close()


def _account_refusal(post: bool) -> str:
    if post:
        return "digest --account: works with --print only; the posted digest covers every account"
    return ("digest --account: no accounts are configured; add accounts: (or organization:) "
            "to the config, or leave --account out")


def _print(service: DigestService, moment: datetime, account: str | None, out: TextIO) -> int:
    if service.org is None:
        digest, _ = service.build(moment)
        out.write(render_text(digest))
        return _nothing_read(digest)
    try:
        org = service.org.build(moment, only=account)
    except UserError as refusal:
        print(f"digest --account: {refusal}", file=sys.stderr)
        return 2
    if account is not None:
        digest = org.rows[0].digest
        out.write(render_text(digest))
        return _nothing_read(digest)
    out.write(render_org_text(org))
    return _nothing_read(org)


def _nothing_read(digest: AnyDigest) -> int:
    """1 when the digest could read no source (it checked nothing), else 0."""
    if not digest.nothing_read:
        return 0
    what = "no account could be read" if isinstance(digest, OrgDigest) else \
        "no source could be read"
    print(f"digest: {what}, so nothing was checked; check the AWS credentials "
          "and the permissions in deploy/ (the missing sources say why)", file=sys.stderr)
    return 1
