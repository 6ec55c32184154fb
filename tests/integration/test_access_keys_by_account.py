"""IAM keys per account on moto: each account's directory is read once, cached, and apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aws.access_keys import AccessKeysByAccount
from aws.accounts import AccountSessions
from aws.clients import AwsClients
from domain.accounts import Account
from services.rotation.accounts import AccountSearch

PROD, DEV = "111111111111", "222222222222"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def by_account(aws):
    accounts = [Account(name, account_id, f"arn:aws:iam::{account_id}:role/GatehouseManage")
                for name, account_id in (("prod", PROD), ("dev", DEV))]
    reads: list[str] = []
    sessions = AccountSessions(AwsClients.from_environment("us-east-1"), accounts,
                               clock=lambda: NOW,
                               on_session=lambda session: session.events.register(
                                   "before-call.iam.GetAccountAuthorizationDetails",
                                   lambda **kwargs: reads.append("read")))
    return AccessKeysByAccount(sessions, "slack-user-id"), sessions, reads


def test_a_user_is_found_in_its_account_and_misses_are_cached_briefly(by_account):
    keys, sessions, reads = by_account
    sessions.clients(PROD).iam().create_user(
        UserName="dana", Tags=[{"Key": "slack-user-id", "Value": "U0DANA"}])
    search = AccountSearch(keys, "slack-user-id")
    found = search.search("U0DANA", NOW)
    assert [(a.name, u.name, u.arn.split(":")[4]) for a, u in found.found] == [
        ("prod", "dana", PROD)]
    assert len(reads) == 2  # one pass per account
    search.search("U0DANA", NOW + timedelta(seconds=30))
    assert len(reads) == 2  # the hit is cached, the miss in dev too, for a minute
    search.search("U0DANA", NOW + timedelta(minutes=2))
    assert len(reads) == 3  # dev is read again; prod's hit is still fresh
    assert keys.keys_in(PROD).list_keys("dana") == []
