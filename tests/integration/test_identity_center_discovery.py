"""Permission sets over discovered accounts: OU ids and "*" expand when Organizations
discovery runs, on the same path roles take (Config.with_accounts)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aws.clients import AwsClients
from config import ConfigError, parse_config
from config.identity_center import PermissionSetConfig
from metrics import Metrics
from tests.integration.test_organizations import add_account
from wiring.accounts import account_sessions, with_discovered_accounts

INSTANCE = "arn:aws:sso:::instance/ssoins-1234567890abcdef"


@pytest.fixture
def org(aws):
    """Engineering OU holding web and data; billing under the root."""
    client = aws.client("organizations")
    client.create_organization(FeatureSet="ALL")
    root = client.list_roots()["Roots"][0]["Id"]
    eng = client.create_organizational_unit(ParentId=root, Name="Engineering")
    eng_id = eng["OrganizationalUnit"]["Id"]

    def account(name: str, parent: str | None) -> str:
        return add_account(client, root, name, parent)

    ids = {"web": account("Web", eng_id), "data": account("Data", eng_id),
           "billing": account("Billing", None)}
    return eng_id, ids


def config_with(permission_sets: dict, roles: dict | None = None):
    return parse_config({
        "admins": ["U0ADMIN"], "approvals_channel": "C0APPROVALS",
        "organization": {"manage_role_name": "GatehouseManage"},
        "roles": roles or {"readonly": {"arn": "arn:aws:iam::{account}:role/ReadOnly",
                                        "accounts": ["*"], "max_duration": "1h"}},
        "identity_center": {"instance_arn": INSTANCE, "identity_store_id": "d-1234567890",
                            "portal_url": "https://example.awsapps.com/start"},
        "permission_sets": permission_sets})


def discovered(config):
    sessions = account_sessions(config, AwsClients.from_environment("us-east-1"), Metrics(
        active_grants=lambda: 0, oldest_due=lambda: None, clock=lambda: datetime.now(UTC)),
        lambda: datetime.now(UTC))
    return with_discovered_accounts(config, sessions)


def test_an_ou_selector_expands_to_the_accounts_under_it(org):
    eng, ids = org
    config = config_with({"admin": {"permission_set": "AdministratorAccess",
                                    "accounts": [eng], "max_duration": "2h"}})
    assert config.permission_set_rules() == {}  # nothing is known before discovery
    expanded = discovered(config)
    rules = expanded.permission_set_rules()
    assert sorted(rules) == ["data/admin", "web/admin"]
    assert isinstance(expanded.role("web/admin"), PermissionSetConfig)
    assert (rules["web/admin"].account, rules["web/admin"].account_id) == ("web", ids["web"])
    assert config.role("web/admin") is None  # the original config is unchanged


def test_star_takes_every_discovered_account(org):
    _, ids = org
    expanded = discovered(config_with({"admin": {"permission_set": "AdministratorAccess",
                                                 "accounts": ["*"], "max_duration": "2h"}}))
    names = expanded.permission_set_rules()
    assert {"web/admin", "data/admin", "billing/admin"} <= set(names)
    assert {rule.account_id for rule in names.values()} >= set(ids.values())


def test_a_discovered_permission_set_clashing_with_a_role_is_named(org):
    eng, _ = org
    config = config_with({"readonly": {"permission_set": "ReadOnly", "accounts": [eng],
                                       "max_duration": "2h"}})
    with pytest.raises(ConfigError) as refused:
        discovered(config)
    assert any("'data/readonly' is also a role" in p for p in refused.value.problems)
