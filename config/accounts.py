"""The accounts Gatehouse works in: `accounts:` by name and `organization:` discovery."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from config.fields import ROLE_ARN, Strict
from domain.accounts import ACCOUNT_ID, ACCOUNT_NAME, Account, account_of_arn, is_selector

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
