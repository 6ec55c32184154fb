"""AWS accounts Gatehouse works in: names, ids, manage roles, and account selectors."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

ACCOUNT_ID = re.compile(r"^\d{12}$")
ACCOUNT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
OU_ID = re.compile(r"^ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}$")
ROOT_ID = re.compile(r"^r-[0-9a-z]{4,32}$")
EVERY_ACCOUNT = "*"
MANAGE_SESSION_NAME = "gatehouse-manage"


@dataclass(frozen=True)
class Account:
    """One account: the short name users type, its id, and the role Gatehouse assumes there.

    `parents` are the account's OU ids (and root id), nearest first, for OU selectors.
    """

    name: str
    id: str
    manage_role: str
    region: str | None = None
    external_id: str | None = None
    parents: tuple[str, ...] = ()


def is_selector(text: str) -> bool:
    """True for an OU id, a root id, an account id or "*": resolved against the organisation."""
    return (text == EVERY_ACCOUNT or bool(OU_ID.match(text)) or bool(ROOT_ID.match(text))
            or bool(ACCOUNT_ID.match(text)))


def selects(selector: str, account: Account) -> bool:
    """Whether one selector (a name, an id, an OU or root id, or "*") takes `account`."""
    return (selector == EVERY_ACCOUNT or selector in (account.name, account.id)
            or selector in account.parents)


def select_accounts(selectors: Iterable[str], accounts: Sequence[Account]) -> list[Account]:
    """The accounts any selector takes, in the order of `accounts`, each once."""
    chosen = list(selectors)
    return [account for account in accounts if any(selects(s, account) for s in chosen)]


def name_for(display_name: str, account_id: str, taken: Iterable[str] = ()) -> str:
    """A short name users can type for a discovered account: its name in lower-case words,
    else its id; an id is appended when the name is taken by another account."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", display_name.lower()).strip("-_")[:32].strip("-_")
    if not slug or not ACCOUNT_NAME.match(slug):
        return account_id
    return slug if slug not in set(taken) else f"{slug[:19]}-{account_id}"


def account_of_arn(arn: str) -> str:
    """The account id field of an ARN ("" when there is none)."""
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def by_id(accounts: Iterable[Account]) -> dict[str, Account]:
    return {account.id: account for account in accounts}


def request_names(base: str, selectors: Sequence[str],
                  accounts: Sequence[Account]) -> dict[str, Account]:
    """The names people request a role or permission set by, each with its account.

    A rule for several accounts (or for an OU or "*") is requested as `<account>/<base>`;
    a rule that names exactly one account keeps its plain name.
    """
    chosen = select_accounts(selectors, accounts)
    if len(selectors) == 1 and not is_selector(selectors[0]) and len(chosen) == 1:
        return {base: chosen[0]}
    return {f"{account.name}/{base}": account for account in chosen}


def split_request_name(name: str) -> tuple[str | None, str]:
    """(account name, rule name) of `prod/readonly`; (None, name) for a plain name."""
    account, _, rule = name.rpartition("/")
    return (account or None, rule)
