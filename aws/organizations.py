"""AWS Organizations discovery: the organisation's ACTIVE accounts, their OUs and manage roles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from botocore.client import BaseClient

from aws.errors import aws_errors
from domain.accounts import Account, name_for, selects

TARGET = "AWS Organizations"


@dataclass(frozen=True)
class Discovery:
    """How discovered accounts are managed: the role name in each, and what to assume it with."""

    manage_role_name: str
    include: tuple[str, ...] = ()  # OU ids, root ids, account ids; empty: every account
    external_id: str | None = None
    region: str | None = None


def discover_accounts(org: BaseClient, discovery: Discovery,
                      named: Sequence[Account] = ()) -> list[Account]:
    """The named accounts (with their OUs when the organisation holds them), then every other
    ACTIVE account `discovery.include` takes, each with a typeable name and its manage role.

    A named account wins over a discovered one with the same id. Raises AwsError in words.
    """
    parents = _ParentChains(org)
    found = [(entry, parents.of(entry["Id"])) for entry in _active_accounts(org)]
    chains = {entry["Id"]: chain for entry, chain in found}
    accounts = [replace(account, parents=chains.get(account.id, account.parents))
                for account in named]
    taken = {account.name for account in accounts}
    known = {account.id for account in accounts}
    for entry, chain in found:
        if entry["Id"] in known or not _included(entry["Id"], chain, discovery.include):
            continue
        account = _account(entry, chain, discovery, taken)
        taken.add(account.name)
        accounts.append(account)
    return accounts


def _active_accounts(org: BaseClient) -> list[dict]:
    with aws_errors(TARGET):
        pages = org.get_paginator("list_accounts").paginate()
        entries = [entry for page in pages for entry in page["Accounts"]]
    return [entry for entry in entries
            if (entry.get("State") or entry.get("Status")) == "ACTIVE"]


def _included(account_id: str, chain: tuple[str, ...], include: Sequence[str]) -> bool:
    probe = Account(name="", id=account_id, manage_role="", parents=chain)
    return not include or any(selects(selector, probe) for selector in include)


def _account(entry: dict, chain: tuple[str, ...], discovery: Discovery,
             taken: set[str]) -> Account:
    partition = str(entry.get("Arn", "arn:aws")).split(":")[1] or "aws"
    return Account(
        name=name_for(str(entry.get("Name") or ""), entry["Id"], taken), id=entry["Id"],
        manage_role=f"arn:{partition}:iam::{entry['Id']}:role/{discovery.manage_role_name}",
        region=discovery.region, external_id=discovery.external_id, parents=chain)


class _ParentChains:
    """Each account's OU ids up to its root, nearest first; one ListParents per OU."""

    def __init__(self, org: BaseClient) -> None:
        self._org = org
        self._above: dict[str, tuple[str, ...]] = {}

    def of(self, child_id: str) -> tuple[str, ...]:
        parent = self._parent(child_id)
        if parent is None:
            return ()
        parent_id, kind = parent
        if kind == "ROOT":
            return (parent_id,)
        if parent_id not in self._above:
            self._above[parent_id] = self.of(parent_id)
        return (parent_id, *self._above[parent_id])

    def _parent(self, child_id: str) -> tuple[str, str] | None:
        with aws_errors(TARGET):
            parents = self._org.list_parents(ChildId=child_id)["Parents"]
        return (parents[0]["Id"], parents[0]["Type"]) if parents else None
