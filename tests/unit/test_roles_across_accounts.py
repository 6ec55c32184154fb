"""Role rules across accounts: `{account}` ARNs, `accounts:` selectors, request names."""

from __future__ import annotations

import pytest

from config import ConfigError, parse_config
from domain.accounts import Account

PROD, DEV = "111111111111", "222222222222"
ACCOUNTS = {"prod": {"id": PROD, "manage_role": f"arn:aws:iam::{PROD}:role/Manage"},
            "dev": {"id": DEV, "manage_role": f"arn:aws:iam::{DEV}:role/Manage"}}
TEMPLATE = "arn:aws:iam::{account}:role/ReadOnly"


def config(roles: dict, **extra) -> dict:
    return {"admins": ["U0ADMIN"], "approvals_channel": "C0APPROVALS", "roles": roles, **extra}


def rule(arn: str = TEMPLATE, **extra) -> dict:
    return {"arn": arn, "max_duration": "1h", **extra}


def problems(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_config(data)
    return error.value.problems


def test_a_rule_across_accounts_becomes_one_role_per_account():
    cfg = parse_config(config({"readonly": rule(accounts=["prod", "dev"]),
                               "admin": rule(f"arn:aws:iam::{PROD}:role/Admin")},
                              accounts=ACCOUNTS))
    assert list(cfg.roles) == ["prod/readonly", "dev/readonly", "admin"]
    dev = cfg.role("dev/readonly")
    assert (dev.name, dev.arn, dev.account) == ("dev/readonly",
                                                f"arn:aws:iam::{DEV}:role/ReadOnly", "dev")
    assert cfg.role("admin").account == "prod"


def test_a_rule_naming_one_account_keeps_its_plain_name():
    cfg = parse_config(config({"readonly": rule(accounts=["dev"])}, accounts=ACCOUNTS))
    assert list(cfg.roles) == ["readonly"]
    assert cfg.role("readonly").arn == f"arn:aws:iam::{DEV}:role/ReadOnly"


def test_without_accounts_roles_are_as_written():
    cfg = parse_config(config({"ro": rule(f"arn:aws:iam::{PROD}:role/R")}))
    assert cfg.role("ro").account is None and not cfg.multi_account


def test_bad_rules_are_named_by_key():
    assert problems(config({"ro": rule()}, accounts=ACCOUNTS)) == [
        'roles.ro.arn: holds {account} but the role has no accounts: list; add accounts: '
        '[prod, dev] (names, OU ids or "*")']
    assert problems(config({"ro": rule("arn:aws:iam::333333333333:role/R")},
                           accounts=ACCOUNTS)) == [
        "roles.ro.arn: account 333333333333 has no manage role; add it under accounts:"]
    unknown = problems(config({"ro": rule(accounts=["staging"])}, accounts=ACCOUNTS))
    assert unknown == ["roles.ro.accounts: there is no account named staging; add it under "
                       "accounts: or fix the name"]
    assert "organization:" in problems(config({"ro": rule(accounts=["ou-ab12-cdef3456"])},
                                              accounts=ACCOUNTS))[0]
    assert problems(config({"ro": rule(accounts=["prod"])}))[0].startswith("roles.ro.accounts:")
    assert problems(config({"ro": rule(f"arn:aws:iam::{PROD}:role/R", accounts=["prod"])},
                           accounts=ACCOUNTS))[0].startswith("roles.ro.accounts: the arn")
    assert problems(config({"ro": rule(account="prod")}, accounts=ACCOUNTS))[0].startswith(
        "roles: role 'ro': account is not a key")


def test_a_bad_arn_still_says_how_to_write_one():
    [problem] = problems(config({"ro": rule("arn:aws:iam::{acct}:role/R", accounts=["prod"])},
                                accounts=ACCOUNTS))
    assert problem.startswith("roles.ro.arn: ") and "{account}" in problem


def test_organization_selectors_wait_for_discovery_then_expand():
    cfg = parse_config(config({"readonly": rule(accounts=["ou-ab12-cdef3456"]),
                               "ops": rule("arn:aws:iam::333333333333:role/Ops")},
                              organization={"manage_role_name": "GatehouseManage"}))
    assert list(cfg.roles) == ["ops"]
    found = [Account("web", "333333333333", "m", parents=("ou-ab12-cdef3456", "r-ab12")),
             Account("data", "444444444444", "m", parents=("ou-ab12-99999999", "r-ab12"))]
    expanded = cfg.with_accounts(found)
    assert list(expanded.roles) == ["web/readonly", "ops"]
    assert expanded.role("ops").account == "web"
    assert list(cfg.roles) == ["ops"]  # the config it came from is unchanged
    with pytest.raises(ConfigError, match="roles.readonly.accounts: ou-ab12-cdef3456 holds"):
        cfg.with_accounts(found[1:] + [Account("ops", "333333333333", "m")])


def test_discovery_that_leaves_a_role_without_its_account_is_a_config_error():
    cfg = parse_config(config({"ops": rule("arn:aws:iam::333333333333:role/Ops")},
                              organization={"manage_role_name": "GatehouseManage"}))
    with pytest.raises(ConfigError) as error:
        cfg.with_accounts([Account("data", "444444444444", "m")])
    assert error.value.problems == [
        "roles.ops.arn: account 333333333333 has no manage role; add it under accounts:"]


def test_the_request_form_offers_the_account_then_the_role():
    from slack_sdk.models.views import View

    from handlers import views

    cfg = parse_config(config({"readonly": rule(accounts=["prod", "dev"]),
                               "admin": rule(accounts=["prod", "dev"]),
                               "local": rule(f"arn:aws:iam::{PROD}:role/L")},
                              accounts=ACCOUNTS))
    modal = views.request_modal(cfg, "C0TEAM")
    groups = modal["blocks"][0]["element"]["option_groups"]
    assert [g["label"]["text"] for g in groups] == ["Account dev", "Account prod"]
    assert [(o["text"]["text"], o["value"]) for o in groups[0]["options"]] == [
        ("admin", "dev/admin"), ("readonly", "dev/readonly")]
    assert "local" in [o["value"] for o in groups[1]["options"]]
    View(**modal).validate_json()


def test_the_request_form_groups_stay_within_block_kit_limits():
    from handlers import views

    many = {f"a{n}": {"id": f"{n:012d}", "manage_role": f"arn:aws:iam::{n:012d}:role/M"}
            for n in range(1, 131)}
    cfg = parse_config(config({"ro": rule(accounts=["*"]),
                               "other": rule("arn:aws:iam::000000000001:role/O")},
                              accounts=many))
    groups = views.request_modal(cfg, "C0TEAM")["blocks"][0]["element"]["option_groups"]
    assert len(groups) == 100 and all(len(g["options"]) <= 100 for g in groups)
