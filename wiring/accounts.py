"""The accounts Gatehouse works in, built for the composition root."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aws.accounts import AccountSessions
from aws.clients import AwsClients
from config import Config
from metrics import Metrics


def account_sessions(config: Config, hub: AwsClients, metrics: Metrics,
                     clock: Callable[[], datetime]) -> AccountSessions:
    """Sessions for the accounts under `accounts:`; AWS errors in them are counted too."""
    return AccountSessions(hub, config.named_accounts(), clock=clock,
                           on_session=lambda session: metrics.count_aws_errors(session.events))
