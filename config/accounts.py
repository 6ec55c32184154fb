"""The accounts Gatehouse works in: `accounts:` by name and `organization:` discovery."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import Field, field_validator, model_validator

from config.fields import ROLE_ARN, Strict
from config.roles import ACCOUNT_PLACEHOLDER, RoleConfig
from domain.accounts import (
    ACCOUNT_ID,
    ACCOUNT_NAME,
    EVERY_ACCOUNT,
    Account,
    account_of_arn,
    by_id,
    is_selector,
    request_names,
    select_accounts,
)

ROLE_NAME = r"^[\w+=,.@-]{1,64}$"
REGION = r"^[a-z]{2}(-[a-z]+)+-\d$"
EXTERNAL_ID = r"^[\w+=,.@:/-]{2,}$"


class AccountConfig(Strict):
    """One account under `accounts:`: its id and the manage role Gatehouse assumes there."""

    id: str
    manage_role: str
    region: str | None = Field(default=None, pattern=REGION)
    external_id: str | None = Field(default=None, pattern=EXTERNAL_ID, max_length=1224)

    @field_validator("id", mode="before")
    @classmethod
    def _check_id(cls, value: object) -> str:
        text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
        if isinstance(value, int):
            text = text.zfill(12)
        if not ACCOUNT_ID.match(text):
            raise ValueError(f"'{value}' is not an AWS account id; write 12 digits in quotes, "
                             "e.g. \"111111111111\"")
        return text

    @field_validator("manage_role")
    @classmethod
    def _check_role(cls, value: str) -> str:
        if not ROLE_ARN.match(value):
            raise ValueError(f"'{value}' is not an IAM role ARN; write "
                             "arn:aws:iam::111111111111:role/GatehouseManage")
        return value

    @model_validator(mode="after")
    def _role_in_account(self) -> AccountConfig:
        if account_of_arn(self.manage_role) != self.id:
            raise ValueError(f"manage_role {self.manage_role} is not in account {self.id}; "
                             "the manage role must live in the account it manages")
        return self


class OrganizationConfig(Strict):
    """Accounts discovered from AWS Organizations, each managed through a same-named role."""

    manage_role_name: str = Field(pattern=ROLE_NAME)
    include: list[str] = Field(default_factory=list)
    external_id: str | None = Field(default=None, pattern=EXTERNAL_ID, max_length=1224)
    region: str | None = Field(default=None, pattern=REGION)

    @field_validator("include")
    @classmethod
    def _check_include(cls, value: list[str]) -> list[str]:
        for item in value:
            if item == "*" or not is_selector(str(item)):
                raise ValueError(f"'{item}' is not an OU id (ou-…), root id (r-…) or 12-digit "
                                 "account id")
        return [str(item) for item in value]


def named_accounts(accounts: dict[str, AccountConfig]) -> list[Account]:
    """The `accounts:` entries as Accounts."""
    return [Account(name=name, id=entry.id, manage_role=entry.manage_role, region=entry.region,
                    external_id=entry.external_id) for name, entry in accounts.items()]


def account_name_problems(names: list[str]) -> list[str]:
    """Names under `accounts:` users could not type, or that read like selectors."""
    problems = []
    for name in names:
        if not ACCOUNT_NAME.match(name):
            problems.append(f"accounts.{name}: an account name must be lower-case letters, "
                            "digits, - or _ (up to 32), e.g. prod")
        elif is_selector(name):
            problems.append(f"accounts.{name}: a name must not look like an account or OU id")
    return problems


def expand_roles(rules: Mapping[str, RoleConfig], accounts: Sequence[Account], *,
                 multi_account: bool, pending: bool) -> dict[str, RoleConfig]:
    """The requestable roles of the config's role rules, keyed by request name.

    A rule across accounts becomes one role per account (`prod/readonly`), each with its
    concrete ARN and `account`; a concrete ARN gets the account it lives in. `pending`:
    Organizations discovery has not run yet, so what only it can resolve is left for later.
    Raises RoleProblems with one line per problem, each naming its key.
    """
    roles: dict[str, RoleConfig] = {}
    owners: dict[str, str] = {}
    problems: list[str] = []
    for name, rule in rules.items():
        found, issues = _expand(name, rule, accounts, multi_account, pending)
        problems += issues
        for request_name, role in found.items():
            if request_name in roles:
                problems.append(f"roles.{name}: it would be requested as {request_name}, like "
                                f"roles.{owners[request_name]}; rename one of them")
            roles.setdefault(request_name, role)
            owners.setdefault(request_name, name)
    if problems:
        raise RoleProblems(problems)
    return roles


class RoleProblems(ValueError):
    """Role rules that cannot be expanded; `problems` has one line per key."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _expand(name: str, rule: RoleConfig, accounts: Sequence[Account], multi_account: bool,
            pending: bool) -> tuple[dict[str, RoleConfig], list[str]]:
    if rule.is_template and not rule.accounts:
        return {}, [f"roles.{name}.arn: holds {{account}} but the role has no accounts: list; "
                    "add accounts: [prod, dev] (names, OU ids or \"*\")"]
    if rule.accounts and not rule.is_template:
        return {}, [f"roles.{name}.accounts: the arn names one account; write it as "
                    "arn:aws:iam::{account}:role/<Name> to span the accounts listed"]
    if not multi_account:
        if rule.accounts:
            return {}, [f"roles.{name}.accounts: needs accounts: or organization: in the "
                        "config, so Gatehouse knows each account's manage role"]
        return {name: rule}, []
    if not rule.is_template:
        return _concrete(name, rule, accounts, pending)
    issues = [] if pending else _selector_problems(name, rule.accounts or [], accounts)
    found = request_names(name, rule.accounts or [], accounts)
    if not found and not pending and not issues:
        issues.append(f"roles.{name}.accounts: selects no account; check the names and OU ids")
    return {request_name: rule.model_copy(update={
        "name": request_name, "arn": rule.arn.replace(ACCOUNT_PLACEHOLDER, account.id),
        "account": account.name, "accounts": None}) for request_name, account in found.items()
    }, issues


def _concrete(name: str, rule: RoleConfig, accounts: Sequence[Account],
              pending: bool) -> tuple[dict[str, RoleConfig], list[str]]:
    account_id = account_of_arn(rule.arn)
    account = by_id(accounts).get(account_id)
    if account is not None:
        return {name: rule.model_copy(update={"account": account.name})}, []
    if pending:  # the organisation may hold it: checked when its accounts are known
        return {name: rule}, []
    return {}, [f"roles.{name}.arn: account {account_id} has no manage role; add it under "
                "accounts:"]


def _selector_problems(name: str, selectors: list[str], accounts: Sequence[Account]) -> list[str]:
    problems = []
    for selector in selectors:
        if select_accounts([selector], accounts) or selector == EVERY_ACCOUNT:
            continue
        if ACCOUNT_ID.match(selector):
            problems.append(f"roles.{name}.accounts: account {selector} has no manage role; "
                            "add it under accounts:")
        elif is_selector(selector):
            problems.append(f"roles.{name}.accounts: {selector} holds no account Gatehouse "
                            "knows (OU and root ids are resolved through organization:)")
        else:
            problems.append(f"roles.{name}.accounts: there is no account named {selector}; "
                            "add it under accounts: or fix the name")
    return problems
