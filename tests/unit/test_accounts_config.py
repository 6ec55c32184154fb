"""The accounts config and account selectors: names, ids, OUs and "*"."""

from __future__ import annotations

import pytest

from config import ConfigError, parse_config
from domain.accounts import (
    Account,
    name_for,
    request_names,
    select_accounts,
    split_request_name,
)

BASE = {"admins": ["U0ADMIN"], "approvals_channel": "C0APPROVALS",
        "roles": {"readonly": {"arn": "arn:aws:iam::111111111111:role/ReadOnly",
                               "max_duration": "1h"}}}


def with_accounts(accounts: dict, **extra) -> dict:
    return {**BASE, "accounts": accounts, **extra}


def prod(**extra) -> dict:
    return {"id": "111111111111", "manage_role": "arn:aws:iam::111111111111:role/Manage", **extra}


def problems(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_config(data)
    return error.value.problems


def test_named_accounts_become_accounts_with_their_manage_role():
    config = parse_config(with_accounts({"prod": prod(region="eu-west-1", external_id="gh-1")}))
    assert config.multi_account
    assert config.named_accounts() == [Account(
        name="prod", id="111111111111", manage_role="arn:aws:iam::111111111111:role/Manage",
        region="eu-west-1", external_id="gh-1")]
    assert not parse_config(BASE).multi_account


def test_bad_accounts_are_named_with_how_to_fix_them():
    assert any("accounts.prod.id" in p and "12 digits" in p
               for p in problems(with_accounts({"prod": prod(id="1234")})))
    assert any("not in account" in p
               for p in problems(with_accounts({"prod": prod(id="222222222222")})))
    assert any("Prod" in p and "lower-case" in p
               for p in problems(with_accounts({"Prod": prod()})))
    assert any("already listed as prod" in p
               for p in problems(with_accounts({"prod": prod(), "again": prod()})))
    assert any("organization.include" in p for p in problems(
        {**BASE, "organization": {"manage_role_name": "M", "include": ["finance"]}}))


def test_selectors_take_names_ids_ous_and_everything():
    accounts = [Account("prod", "111111111111", "r", parents=("ou-ab12-cdef3456", "r-ab12")),
                Account("dev", "222222222222", "r", parents=("ou-ab12-99999999", "r-ab12"))]
    assert [a.name for a in select_accounts(["prod"], accounts)] == ["prod"]
    assert [a.name for a in select_accounts(["222222222222"], accounts)] == ["dev"]
    assert [a.name for a in select_accounts(["ou-ab12-cdef3456"], accounts)] == ["prod"]
    assert [a.name for a in select_accounts(["*"], accounts)] == ["prod", "dev"]
    assert select_accounts(["staging"], accounts) == []


def test_discovered_accounts_get_names_people_can_type():
    assert name_for("Production EU", "111111111111") == "production-eu"
    assert name_for("!!!", "111111111111") == "111111111111"
    assert name_for("prod", "222222222222", taken=["prod"]) == "prod-222222222222"


def test_request_names_prefix_the_account_unless_one_account_is_named():
    accounts = [Account("prod", "111111111111", "r", parents=("ou-ab12-cdef3456",)),
                Account("dev", "222222222222", "r")]
    assert list(request_names("readonly", ["prod", "dev"], accounts)) == [
        "prod/readonly", "dev/readonly"]
    assert list(request_names("readonly", ["prod"], accounts)) == ["readonly"]
    assert list(request_names("admin", ["ou-ab12-cdef3456"], accounts)) == ["prod/admin"]
    assert split_request_name("prod/readonly") == ("prod", "readonly")
    assert split_request_name("readonly") == (None, "readonly")
