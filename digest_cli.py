"""`python bot.py digest [--print]`: build today's hygiene digest, print it or post it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TextIO

from config import ConfigError


def print_digest(environ: Mapping[str, str], post: bool, *, now: datetime | None = None,
                 aws_clients: Any = None, out: TextIO | None = None,
                 sleep: Callable[[float], None] | None = None) -> int:
    """Print the digest (exit 0 even when sources are missing), or post it as the bot would.

    Printing keeps nothing: the next posted digest still compares with the last posted one.
    """
    from aws.clients import AwsClients
    from config import load_config, load_environment
    from domain.digest_text import render_text
    from services.gatehouse import utcnow

    env = load_environment(environ)
    config = load_config(env.config_path)
    clients = aws_clients or AwsClients.from_environment(env.aws_region)
    moment = now or utcnow()
    service, store = _service(env, config, clients, post=post, sleep=sleep)
    try:
        if not post:
            digest, _ = service.build(moment)
            (out or sys.stdout).write(render_text(digest))
            return 0
        if not config.digest.enabled:
            raise ConfigError(["digest.channel: required to post the digest; "
                               "use --print to print it instead"])
        digest, _ = service.post(moment, trigger="cli", actor="cli")
        print(f"digest: posted in {config.digest.channel}, {len(digest.findings)} open findings",
              file=out or sys.stdout)
        return 0
    finally:
        store.close()


def _service(env: Any, config: Any, clients: Any, *, post: bool,
             sleep: Callable[[float], None] | None) -> tuple[Any, Any]:
    import time

    from feature_wiring import build_digest_service
    from storage.database import open_store

    store = open_store(env.db_path)
    publisher = None
    if post:
        from bot import slack_client
        from config import environment_problems
        from handlers.digest_slack import SlackDigestPublisher

        problems = [p for p in environment_problems(env) if p.startswith("SLACK_BOT_TOKEN")]
        if problems:
            store.close()
            raise ConfigError(problems)
        publisher = SlackDigestPublisher(slack_client(env), config.digest.channel or "").publish
    return build_digest_service(config, clients, store, publisher,
                                sleep=sleep or time.sleep), store
