"""Every account's session reads AWS's service models through the hub's one loader."""

from __future__ import annotations

from aws.accounts import AccountSessions
from aws.clients import AwsClients
from domain.accounts import Account

PROD, DEV = "111111111111", "222222222222"


def loader_of(clients: AwsClients):
    return clients.session._session.get_component("data_loader")


def test_account_sessions_share_the_hubs_service_models_and_keep_their_own_credentials(aws):
    hub = AwsClients.from_environment("us-east-1")
    sessions = AccountSessions(hub, [
        Account(name, account_id, f"arn:aws:iam::{account_id}:role/GatehouseManage")
        for name, account_id in (("prod", PROD), ("dev", DEV))])
    prod, dev = sessions.clients(PROD), sessions.clients(DEV)
    assert loader_of(prod) is loader_of(hub) and loader_of(dev) is loader_of(hub)
    assert prod.sts().get_caller_identity()["Account"] == PROD
    assert dev.sts().get_caller_identity()["Account"] == DEV
    assert prod.session.get_credentials().access_key != dev.session.get_credentials().access_key
