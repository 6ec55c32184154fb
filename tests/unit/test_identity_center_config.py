"""identity_center: and permission_sets: in the config, with errors that name the key."""

from __future__ import annotations

import pytest

from config import ConfigError, parse_config
from config.identity_center import PermissionSetConfig

CENTER = {"instance_arn": "arn:aws:sso:::instance/ssoins-1234567890abcdef",
          "identity_store_id": "d-1234567890", "portal_url": "https://x.awsapps.com/start"}
ADMIN = {"permission_set": "AdministratorAccess", "accounts": ["prod", "dev"],
         "max_duration": "2h", "approvers": ["U0LEAD"]}


def config(**keys) -> dict:
    return {"admins": ["U0ADMIN"], "approvals_channel": "C0APPROVALS",
            "roles": {"readonly": {"arn": "arn:aws:iam::111111111111:role/ReadOnly",
                                   "max_duration": "1h"}},
            "accounts": {name: {"id": account, "manage_role":
                                f"arn:aws:iam::{account}:role/Manage"}
                         for name, account in [("prod", "111111111111"),
                                               ("dev", "222222222222")]},
            **keys}


def problems(**keys) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_config(config(**keys))
    return error.value.problems


def test_permission_sets_are_requested_as_account_slash_name_with_the_role_rules():
    parsed = parse_config(config(identity_center=CENTER, permission_sets={"admin": ADMIN}))
    rule = parsed.role("prod/admin")
    assert isinstance(rule, PermissionSetConfig)
    assert (rule.account, rule.account_id, rule.max_duration) == ("prod", "111111111111", 7200)
    assert rule.approvers == ["U0LEAD"] and rule.arn == ""
    assert set(parsed.permission_set_rules()) == {"prod/admin", "dev/admin"}
    assert parsed.role("readonly").arn.endswith("ReadOnly")


def test_one_named_account_keeps_the_plain_name():
    parsed = parse_config(config(identity_center=CENTER,
                                 permission_sets={"admin": {**ADMIN, "accounts": ["prod"]}}))
    assert set(parsed.permission_set_rules()) == {"admin"}


@pytest.mark.parametrize(("keys", "expected"), [
    ({"permission_sets": {"admin": ADMIN}}, "permission_sets: needs identity_center:"),
    ({"identity_center": CENTER, "permission_sets": {"admin": {**ADMIN, "accounts": ["qa"]}}},
     "permission_sets.admin.accounts: 'qa' is not an account under accounts:"),
    ({"identity_center": CENTER,
      "permission_sets": {"readonly": {**ADMIN, "accounts": ["prod"]}}},
     "'readonly' is also a role"),
    ({"identity_center": {**CENTER, "instance_arn": "ssoins-1"}},
     "identity_center.instance_arn: 'ssoins-1' is not an Identity Center instance ARN"),
    ({"identity_center": {**CENTER, "identity_store_id": "store"}},
     "identity_center.identity_store_id: 'store' is not an identity store id"),
    ({"identity_center": CENTER, "permission_sets": {"admin": {**ADMIN, "max_duration": "13h"}}},
     "permission_sets.admin.max_duration: must be between 15m and 12h"),
    ({"identity_center": CENTER, "permission_sets": {"admin": {**ADMIN, "arn": "x"}}},
     "permission_sets.admin.arn: a permission set has no role ARN"),
    ({"identity_center": CENTER,
      "permission_sets": {"admin": {**ADMIN, "conditions": {"source_ips": ["10.0.0.0/8"]}}}},
     "conditions.source_ips: a permission set assignment cannot be limited by IP"),
    ({"identity_center": CENTER, "permission_sets": {"admin": {**ADMIN, "permission_set": "a b"}}},
     "permission_sets.admin.permission_set: 'a b' is not a permission set name"),
])
def test_bad_identity_center_config_names_the_key(keys, expected):
    assert any(expected in problem for problem in problems(**keys)), problems(**keys)
