"""Manage-role sessions on moto: each account's IAM work acts in that account, renewed on time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aws.accounts import AccountSessions
from aws.clients import AwsClients
from aws.errors import AwsError
from domain.accounts import Account

PROD, DEV = "111111111111", "222222222222"


def account(name: str, account_id: str, **extra) -> Account:
    return Account(name=name, id=account_id,
                   manage_role=f"arn:aws:iam::{account_id}:role/GatehouseManage", **extra)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def sessions(aws):
    clock = Clock()
    hub = AwsClients.from_environment("us-east-1")
    opened: list[object] = []
    made = AccountSessions(hub, [account("prod", PROD), account("dev", DEV, external_id="x-1")],
                           clock=clock, on_session=opened.append)
    return made, clock, opened


def test_iam_work_acts_in_the_managed_account_not_the_hub(sessions):
    made, _, _ = sessions
    made.clients(PROD).iam().create_user(UserName="ada")
    assert made.clients(PROD).sts().get_caller_identity()["Account"] == PROD
    assert [u["UserName"] for u in made.clients(PROD).iam().list_users()["Users"]] == ["ada"]
    assert made.clients(DEV).iam().list_users()["Users"] == []
    assert made.hub.iam().list_users()["Users"] == []


def test_credentials_are_cached_and_renewed_before_they_expire(sessions):
    made, clock, opened = sessions
    first = made.clients(PROD)
    assert made.clients(PROD) is first and len(opened) == 1
    clock.now += timedelta(minutes=49)
    assert made.clients(PROD) is first
    clock.now += timedelta(minutes=2)  # within ten minutes of the hour's end
    assert made.clients(PROD) is not first and len(opened) == 2


def test_an_account_without_a_manage_role_is_refused_in_words(sessions):
    made, _, _ = sessions
    with pytest.raises(AwsError) as refused:
        made.clients("333333333333")
    assert refused.value.code == "NoManageRole"
    assert "333333333333" in str(refused.value) and "accounts:" in str(refused.value)


def test_names_find_accounts_and_discovery_replaces_them(sessions):
    made, _, _ = sessions
    assert made.account("dev").id == DEV and made.account(PROD).name == "prod"
    before = made.clients(PROD)
    made.set_accounts([account("prod", PROD), account("sec", "444444444444")])
    assert made.account("dev") is None
    assert made.clients(PROD) is before  # unchanged account keeps its session
    assert [a.name for a in made.accounts()] == ["prod", "sec"]
