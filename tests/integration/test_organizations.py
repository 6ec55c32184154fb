"""Organizations discovery on moto: ACTIVE accounts, OU filters, names and manage roles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.stub import Stubber

from aws.accounts import AccountSessions
from aws.clients import AwsClients
from aws.errors import AwsError
from aws.organizations import Discovery, discover_accounts
from config import ConfigError, parse_config
from domain.accounts import Account
from metrics import Metrics
from scheduler import schedule_table
from wiring.accounts import account_refresh, account_sessions, with_discovered_accounts


def add_account(client, root: str, name: str, parent: str | None) -> str:
    """Create an account in the moto organisation, moved under `parent` when given."""
    made = client.create_account(AccountName=name, Email=f"{name.lower()}@example.com")
    account_id = made["CreateAccountStatus"]["AccountId"]
    if parent:
        client.move_account(AccountId=account_id, SourceParentId=root,
                            DestinationParentId=parent)
    return account_id


@pytest.fixture
def org(aws):
    """An organisation: Engineering OU (with a nested Web OU) holding web and data, and
    billing under the root; Gatehouse's own account is the management account."""
    client = aws.client("organizations")
    client.create_organization(FeatureSet="ALL")
    root = client.list_roots()["Roots"][0]["Id"]
    eng = client.create_organizational_unit(ParentId=root, Name="Engineering")
    eng_id = eng["OrganizationalUnit"]["Id"]
    web_ou = client.create_organizational_unit(ParentId=eng_id, Name="Web")
    web_ou_id = web_ou["OrganizationalUnit"]["Id"]

    def account(name: str, parent: str | None) -> str:
        return add_account(client, root, name, parent)

    ids = {"web": account("Web Shop", web_ou_id), "data": account("Data", eng_id),
           "billing": account("Billing", None)}
    return client, root, eng_id, web_ou_id, ids


def test_discovery_takes_the_accounts_under_an_ou_with_their_chain(org):
    client, root, eng, web_ou, ids = org
    found = discover_accounts(client, Discovery("GatehouseManage", include=(eng,),
                                                external_id="gh-x", region="eu-west-1"))
    assert sorted(a.name for a in found) == ["data", "web-shop"]
    web = next(a for a in found if a.name == "web-shop")
    assert web.id == ids["web"] and web.parents == (web_ou, eng, root)
    assert web.manage_role == f"arn:aws:iam::{ids['web']}:role/GatehouseManage"
    assert (web.external_id, web.region) == ("gh-x", "eu-west-1")


def test_named_accounts_win_and_everything_is_taken_by_default(org):
    client, root, eng, _, ids = org
    named = Account("shop", ids["web"], f"arn:aws:iam::{ids['web']}:role/Custom")
    found = discover_accounts(client, Discovery("GatehouseManage"), [named])
    assert found[0].name == "shop" and found[0].manage_role.endswith("/Custom")
    assert eng in found[0].parents  # named accounts still answer to OU selectors
    assert {a.id for a in found} >= set(ids.values())
    assert [a.id for a in found].count(ids["web"]) == 1
    by_account = discover_accounts(client, Discovery("M", include=(ids["billing"],)))
    assert [a.name for a in by_account] == ["billing"]


def test_roles_expand_over_the_discovered_accounts_at_start(org, aws):
    client, _, eng, _, ids = org
    config = parse_config({
        "admins": ["U0ADMIN"], "approvals_channel": "C0APPROVALS",
        "organization": {"manage_role_name": "GatehouseManage", "include": [eng]},
        "roles": {"readonly": {"arn": "arn:aws:iam::{account}:role/ReadOnly",
                               "accounts": [eng], "max_duration": "1h"}}})
    sessions = account_sessions(config, AwsClients.from_environment("us-east-1"), Metrics(
        active_grants=lambda: 0, oldest_due=lambda: None, clock=lambda: datetime.now(UTC)),
        lambda: datetime.now(UTC))
    expanded = with_discovered_accounts(config, sessions)
    assert sorted(expanded.roles) == ["data/readonly", "web-shop/readonly"]
    assert expanded.role("data/readonly").arn == f"arn:aws:iam::{ids['data']}:role/ReadOnly"
    assert {a.name for a in sessions.accounts()} == {"data", "web-shop"}
    sessions.set_accounts([])
    refresh = account_refresh(config, sessions)
    table = schedule_table(sweep=lambda: None, digest_daily=None, digest_catch_up=None,
                           digest_at=None, discover_accounts=refresh)
    assert [entry.name for entry in table] == ["sweep", "discover-accounts"]
    table[1].run()
    assert {a.name for a in sessions.accounts()} == {"data", "web-shop"}


def test_discovery_failing_at_start_is_a_config_error_naming_organization(aws):
    config = parse_config({
        "admins": ["U0ADMIN"], "approvals_channel": "C0APPROVALS",
        "organization": {"manage_role_name": "GatehouseManage"},
        "roles": {"ro": {"arn": "arn:aws:iam::{account}:role/R", "accounts": ["*"],
                         "max_duration": "1h"}}})
    sessions = AccountSessions(AwsClients.from_environment("us-east-1"))
    with Stubber(sessions.hub.organizations()) as stub:  # moto has no refusal to offer
        stub.add_client_error("list_accounts", "AccessDeniedException", "not allowed")
        with pytest.raises(ConfigError) as error:
            with_discovered_accounts(config, sessions)
        stub.add_client_error("list_accounts", "AWSOrganizationsNotInUseException", "none")
        with pytest.raises(AwsError, match="AWSOrganizationsNotInUseException"):
            discover_accounts(sessions.hub.organizations(), Discovery("M"))
    [problem] = error.value.problems
    assert problem.startswith("organization: discovering the organisation's accounts failed: "
                              "AWS refused ListAccounts on AWS Organizations: "
                              "AccessDeniedException")
