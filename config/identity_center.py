"""IAM Identity Center: the instance Gatehouse assigns in, and the permission sets to ask for."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field, field_validator, model_validator

from config.fields import ROLE_ARN, Strict
from config.roles import RoleConfig
from domain.accounts import Account, is_selector, request_names

INSTANCE_ARN = re.compile(r"^arn:aws[\w-]*:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}$")
PERMISSION_SET_ARN = re.compile(
    r"^arn:aws[\w-]*:sso:::permissionSet/(sso)?ins-[a-zA-Z0-9-.]{16}/ps-[a-zA-Z0-9-./]{16}$")
PERMISSION_SET_NAME = re.compile(r"^[\w+=,.@-]{1,32}$")
IDENTITY_STORE_ID = re.compile(r"^d-[0-9a-z]{10}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
                               r"[0-9a-f]{4}-[0-9a-f]{12}$")
RULE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class IdentityCenterConfig(Strict):
    """The Identity Center instance, its identity store, and where people sign in."""

    instance_arn: str
    identity_store_id: str
    region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    portal_url: str = Field(pattern=r"^https://\S+$")
    manage_role: str | None = None
    cleanup: bool = False  # daily: delete Gatehouse's assignments that no live grant needs

    @field_validator("instance_arn")
    @classmethod
    def _check_instance(cls, value: str) -> str:
        if not INSTANCE_ARN.match(value):
            raise ValueError(f"'{value}' is not an Identity Center instance ARN; write "
                             "arn:aws:sso:::instance/ssoins-1234567890abcdef")
        return value

    @field_validator("identity_store_id")
    @classmethod
    def _check_store(cls, value: str) -> str:
        if not IDENTITY_STORE_ID.match(value):
            raise ValueError(f"'{value}' is not an identity store id; write d-1234567890")
        return value

    @field_validator("manage_role")
    @classmethod
    def _check_role(cls, value: str | None) -> str | None:
        if value is not None and not ROLE_ARN.match(value):
            raise ValueError(f"'{value}' is not an IAM role ARN; write "
                             "arn:aws:iam::999999999999:role/GatehouseIdentityCenter")
        return value


class PermissionSetConfig(RoleConfig):
    """A permission set people may ask for: a role's rules (approvers, hours, limits…) with an
    account assignment instead of an STS session. `arn` stays empty: nothing is assumed.

    Once expanded to a request name (`prod/admin`), `account` and `account_id` say where.
    """

    arn: str = ""
    permission_set: str
    accounts: list[str] = Field(min_length=1)
    account: str = ""
    account_id: str = ""

    @field_validator("arn")
    @classmethod
    def _check_arn(cls, value: str) -> str:
        if value:
            raise ValueError("a permission set has no role ARN; name it in permission_set")
        return value

    @field_validator("permission_set")
    @classmethod
    def _check_permission_set(cls, value: str) -> str:
        if value.startswith("arn:"):
            if not PERMISSION_SET_ARN.match(value):
                raise ValueError(f"'{value}' is not a permission set ARN; write arn:aws:sso:::"
                                 "permissionSet/ssoins-…/ps-… or the permission set's name")
        elif not PERMISSION_SET_NAME.match(value):
            raise ValueError(f"'{value}' is not a permission set name (letters, digits and "
                             "+=,.@-_, up to 32)")
        return value

    @field_validator("accounts")
    @classmethod
    def _check_accounts(cls, value: list[str]) -> list[str]:
        return [str(item) for item in value]

    @model_validator(mode="after")
    def _check_unsupported(self) -> PermissionSetConfig:
        if self.conditions.source_ips:
            raise ValueError("conditions.source_ips: a permission set assignment cannot be "
                             "limited by IP; put aws:SourceIp in the permission set's policy")
        if self.break_glass is not None:
            raise ValueError("break_glass: not available for permission sets yet; remove it")
        return self


def name_permission_sets(value: Any) -> Any:
    """Give each entry under `permission_sets:` its name, refusing names users cannot type."""
    if not isinstance(value, Mapping):
        return value
    named = {}
    for name, entry in value.items():
        if not RULE_NAME.match(str(name)):
            raise ValueError(f"permission set name '{name}' must be lower-case letters, "
                             "digits, - _ .")
        named[str(name)] = {**entry, "name": str(name)} if isinstance(entry, Mapping) else entry
    return named


def expand_permission_sets(permission_sets: Mapping[str, PermissionSetConfig],
                           accounts: Sequence[Account]) -> dict[str, PermissionSetConfig]:
    """Every request name (`prod/admin`, or `admin` for one named account) with its account.

    OU ids and "*" select among `accounts`: the named ones, or those discovered from
    AWS Organizations when the caller passes them.
    """
    expanded: dict[str, PermissionSetConfig] = {}
    for base, entry in permission_sets.items():
        for name, account in request_names(base, entry.accounts, accounts).items():
            expanded[name] = entry.model_copy(update={"name": name, "account": account.name,
                                                      "account_id": account.id})
    return expanded


def permission_set_problems(identity_center: IdentityCenterConfig | None,
                            permission_sets: Mapping[str, PermissionSetConfig],
                            roles: Sequence[str], accounts: Sequence[Account]) -> list[str]:
    """What keeps `permission_sets:` from working with the rest of the config, by key."""
    if permission_sets and identity_center is None:
        return ["permission_sets: needs identity_center: (instance_arn, identity_store_id, "
                "portal_url) to assign them"]
    problems = []
    known = {account.name for account in accounts}
    for base, entry in permission_sets.items():
        for selector in entry.accounts:
            if not is_selector(selector) and selector not in known:
                problems.append(f"permission_sets.{base}.accounts: '{selector}' is not an "
                                f"account under accounts: ({', '.join(sorted(known)) or 'none'})")
    expanded = expand_permission_sets(permission_sets, accounts)
    for name in sorted(set(expanded) & set(roles)):
        problems.append(f"permission_sets: '{name}' is also a role; give one of them "
                        "another name")
    return problems
