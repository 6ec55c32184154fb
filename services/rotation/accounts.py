"""Which account a key rotation acts in: the holder's IAM user, looked up in every account."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.accounts import Account
from domain.errors import CloudError, UserError
from domain.iam import IamUser
from services.rotation.ports import IamKeysByAccount

SEARCH_REFRESH = timedelta(minutes=1)  # an account's users are read at most this often on a miss
MAX_PARALLEL = 8  # accounts searched at once


def label(account: Account) -> str:
    return f"`{account.name}` ({account.id})"


@dataclass(frozen=True)
class Search:
    """Where the holder has an IAM user, and which accounts could not be searched (and why)."""

    found: list[tuple[Account, IamUser]] = field(default_factory=list)
    unreachable: list[tuple[Account, str]] = field(default_factory=list)

    def unreachable_note(self) -> str:
        """A sentence naming every account that could not be searched ('' when none)."""
        if not self.unreachable:
            return ""
        named = "; ".join(f"account {label(account)}: {why}" for account, why in self.unreachable)
        return f" Gatehouse could not search {named}."


class ChooseAccount(UserError):
    """The holder has an IAM user in several accounts; the command must name one."""

    def __init__(self, message: str, holder: str, accounts: list[Account]) -> None:
        super().__init__(message)
        self.holder = holder
        self.accounts = tuple(accounts)


class AccountSearch:
    """Looks a Slack user's IAM user up in every account (one cached directory per account)."""

    def __init__(self, by_account: IamKeysByAccount, iam_user_tag: str) -> None:
        self.by_account = by_account
        self.iam_user_tag = iam_user_tag

    def search(self, holder: str, now: datetime,
               refresh_after: timedelta = SEARCH_REFRESH) -> Search:
        accounts = self.by_account.accounts()
        if not accounts:
            return Search()
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(accounts)),
                                thread_name_prefix="gatehouse-key-search") as pool:
            answers = list(pool.map(lambda account: self._look_up(account, holder, now,
                                                                  refresh_after), accounts))
        found = [(a, user) for a, user in zip(accounts, answers, strict=True)
                 if isinstance(user, IamUser)]
        unreachable = [(a, why) for a, why in zip(accounts, answers, strict=True)
                       if isinstance(why, str)]
        return Search(found, unreachable)

    def _look_up(self, account: Account, holder: str, now: datetime,
                 refresh_after: timedelta) -> IamUser | str | None:
        try:
            return self.by_account.keys_in(account.id).find_user(
                holder, now, refresh_after=refresh_after)
        except CloudError as exc:
            return exc.message

    def choose(self, holder: str, named: str | None, now: datetime,
               command: str = "/access rotate-key") -> tuple[Account, str]:
        """The account to rotate in, and a note naming accounts that could not be searched.

        Raises UserError when the named account is unknown, unreachable or has no IAM user of
        the holder, when no account has one, and ChooseAccount when several do.
        """
        if named is not None:
            return self._named(holder, named, now), ""
        search = self.search(holder, now)
        if len(search.found) == 1:
            return search.found[0][0], search.unreachable_note()
        if search.found:
            raise ChooseAccount(_which(holder, search, command), holder,
                                [account for account, _ in search.found])
        raise UserError(self._nowhere(holder, search))

    def _named(self, holder: str, named: str, now: datetime) -> Account:
        account = self.by_account.account(named)
        if account is None:
            known = ", ".join(f"`{a.name}`" for a in self.by_account.accounts()) or "none"
            raise UserError(f"There is no account `{named}` in Gatehouse's config (accounts: "
                            f"{known}). Write `/access rotate-key <account>` with one of them, "
                            "or `/access rotate-key` to look in every account.")
        answer = self._look_up(account, holder, now, timedelta(0))
        if isinstance(answer, str):
            raise UserError(f"Gatehouse could not reach account {label(account)}: {answer}. "
                            "Nothing was changed; try again later or ask an admin.")
        if answer is None:
            raise UserError(f"<@{holder}> is not linked to an IAM user in account "
                            f"{label(account)}, so Gatehouse rotates no key there. An admin must "
                            f"tag the IAM user in that account with `{self.iam_user_tag}` = "
                            f"`{holder}`; `/access rotate-key` alone looks in every account.")
        return account

    def _nowhere(self, holder: str, search: Search) -> str:
        searched = [a for a in self.by_account.accounts()
                    if a not in {u for u, _ in search.unreachable}]
        names = ", ".join(f"`{a.name}`" for a in searched) or "none"
        return (f"<@{holder}> is not linked to an IAM user in any account Gatehouse searched "
                f"({names}), so Gatehouse cannot rotate a key.{search.unreachable_note()} An "
                f"admin must tag the IAM user with `{self.iam_user_tag}` = `{holder}` (IAM "
                "console → Users → the user → Tags; one user per account may carry it), then "
                "run `/access rotate-key` again.")


def _which(holder: str, search: Search, command: str) -> str:
    where = ", ".join(f"{label(account)} (IAM user `{user.name}`)"
                      for account, user in search.found)
    commands = " or ".join(f"`{command} {account.name}`" for account, _ in search.found)
    return (f"<@{holder}> has an IAM user in several accounts: {where}. Say which key to "
            f"rotate: {commands}.{search.unreachable_note()}")
