"""One role's access rules: who may request, approve or break the glass, tickets, totals, starts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from urllib.parse import quote

from domain.durations import format_duration
from domain.policy import PolicyRefusal
from domain.text import utc_label

WEEK = timedelta(days=7)
_TICKET_TRIM = "()[]{}<>,.;:!?\"'"


@dataclass(frozen=True)
class Principals:
    """Slack users and Slack user groups (`S…`) named in a rule."""

    users: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()

    @classmethod
    def of(cls, entries: Iterable[str]) -> Principals:
        """Split config entries: an id starting with `S` is a user group, any other a user."""
        entries = list(entries)
        return cls(frozenset(e for e in entries if not e.startswith("S")),
                   frozenset(e for e in entries if e.startswith("S")))

    def __bool__(self) -> bool:
        return bool(self.users or self.groups)


@dataclass(frozen=True)
class AutoApproval:
    """Approval without a human: always, or when the requester is on call in a schedule."""

    always: bool = False
    on_call: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.always or bool(self.on_call)


@dataclass(frozen=True)
class BreakGlass:
    """Who may take access at once, for how long, how often, and where it is announced."""

    allowed: Principals
    max_duration: int
    max_per_week: int
    channel: str | None = None


@dataclass(frozen=True)
class AccessPolicy:
    """The rules of one role or permission set, free of config types (durations in seconds)."""

    name: str
    max_duration: int
    admins: frozenset[str] = frozenset()
    description: str = ""
    requesters: Principals | None = None  # None: anyone may request
    approvers: Principals = field(default_factory=Principals)
    approvals_required: int = 1
    allow_self_approval: bool = False
    auto_approve: AutoApproval = field(default_factory=AutoApproval)
    require_ticket: str | None = None
    ticket_url: str | None = None
    max_total: int | None = None
    break_glass: BreakGlass | None = None
    hours: tuple[time, time] | None = None
    timezone: str = "UTC"

    def groups(self) -> frozenset[str]:
        """Every user group whose members these rules need."""
        groups = set(self.approvers.groups)
        if self.requesters is not None:
            groups |= self.requesters.groups
        if self.break_glass is not None:
            groups |= self.break_glass.allowed.groups
        return frozenset(groups)


@dataclass(frozen=True)
class GroupLookup:
    """Members of user groups read from Slack just now; groups that could not be read, and why."""

    members: Mapping[str, frozenset[str]] = field(default_factory=dict)
    unreadable: Mapping[str, str] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)  # group id -> handle, such as sre

    def label(self, group: str) -> str:
        """`@sre (S0SRE)`, or the bare id when the name is unknown."""
        name = self.names.get(group)
        return f"@{name} ({group})" if name else group


class GroupUnreadable(Exception):
    """A user group's members could not be read; the message says why (`missing_scope`)."""


def read_groups(groups: Iterable[str], fetch: Callable[[str], Iterable[str]],
                names: Mapping[str, str] | None = None) -> GroupLookup:
    """Read each group's members now with `fetch`, which raises GroupUnreadable when it cannot."""
    members: dict[str, frozenset[str]] = {}
    unreadable: dict[str, str] = {}
    for group in sorted(set(groups)):
        try:
            members[group] = frozenset(fetch(group))
        except GroupUnreadable as exc:
            unreadable[group] = str(exc) or "unreadable"
    return GroupLookup(members, unreadable, dict(names or {}))


@dataclass(frozen=True)
class Membership:
    """Whether a user is among some principals: directly, through a group, or unknown."""

    member: bool
    via: str | None = None  # the user id or the group id that made them a member
    unread: tuple[str, ...] = ()  # groups that could not be read, so might have counted


def membership(principals: Principals, user: str, lookup: GroupLookup) -> Membership:
    """Is `user` among `principals`? A group that could not be read does not contain them."""
    if user in principals.users:
        return Membership(True, user)
    for group in sorted(principals.groups):
        if user in lookup.members.get(group, frozenset()):
            return Membership(True, group)
    unread = tuple(sorted(g for g in principals.groups if g not in lookup.members))
    return Membership(False, None, unread)


def _unread_words(unread: tuple[str, ...], lookup: GroupLookup) -> str:
    parts = [f"{lookup.label(g)} ({lookup.unreadable.get(g, 'not read')})" for g in unread]
    noun = "user group" if len(parts) == 1 else "user groups"
    return f"Gatehouse could not read the members of the Slack {noun} {', '.join(parts)}"


def check_requester(policy: AccessPolicy, user: str, lookup: GroupLookup) -> None:
    """Raise PolicyRefusal unless `user` may request `policy`'s role."""
    if policy.requesters is None or user in policy.admins:
        return
    found = membership(policy.requesters, user, lookup)
    if found.member:
        return
    if found.unread:
        raise PolicyRefusal(
            f"{_unread_words(found.unread, lookup)}, so it cannot tell whether you may request "
            f"{policy.name}. Try again later, or ask a Gatehouse admin.")
    raise PolicyRefusal(
        f"You may not request {policy.name}: only {describe(policy.requesters, lookup)} may. "
        f"Ask a Gatehouse admin if you need it; `/access who-can {policy.name}` shows the rules.")


def check_decider(policy: AccessPolicy, user: str, requester: str, lookup: GroupLookup) -> None:
    """Raise PolicyRefusal unless `user` may approve or deny a request for `policy`'s role."""
    if user == requester and not policy.allow_self_approval:
        raise PolicyRefusal("You cannot decide on your own request; another approver must.")
    if user in policy.admins:
        return
    found = membership(policy.approvers, user, lookup)
    if found.member:
        return
    if found.unread:
        raise PolicyRefusal(
            f"{_unread_words(found.unread, lookup)}, so nobody may decide through it until it "
            f"can be read; nothing was changed. Another approver or a Gatehouse admin can decide.")
    raise PolicyRefusal("Only this role's approvers and Gatehouse admins can decide on it.")


def deciders(policy: AccessPolicy, lookup: GroupLookup) -> frozenset[str]:
    """Everyone who may decide now: admins, named approvers, members of readable groups."""
    people = set(policy.admins) | set(policy.approvers.users)
    for group in policy.approvers.groups:
        people |= lookup.members.get(group, frozenset())
    return frozenset(people)


def describe(principals: Principals, lookup: GroupLookup) -> str:
    """`members of @sre (S0SRE), U0LEAD` in words, groups first."""
    parts = [f"members of {lookup.label(g)}" for g in sorted(principals.groups)]
    return ", ".join(parts + sorted(principals.users)) or "nobody"


# -- tickets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ticket:
    """A ticket named in a reason, and its link when the role has a `ticket_url`."""

    key: str
    url: str | None = None

    def mrkdwn(self) -> str:
        """`<url|INC-42>` for Slack, or the bare key without a link."""
        return f"<{self.url}|{self.key}>" if self.url else self.key


def ticket_rule_problems(pattern: str | None, url_template: str | None) -> list[str]:
    """What is wrong with a role's `require_ticket` and `ticket_url`, one line per problem."""
    problems = []
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            problems.append(f"require_ticket is not a regular expression: {exc}")
    if url_template is not None and "{ticket}" not in url_template:
        problems.append("ticket_url must contain {ticket}, where the ticket goes")
    if url_template is not None and not url_template.startswith(("https://", "http://")):
        problems.append("ticket_url must start with https:// or http://")
    return problems


def find_ticket(policy: AccessPolicy, reason: str) -> Ticket | None:
    """The ticket in `reason`; None when the role needs none and none is found.

    The pattern is tried on the whole reason, then on each word, so that an anchored pattern
    such as `^INC-[0-9]+$` finds `INC-42` in `INC-42: fix the disk`.
    """
    if policy.require_ticket is None:
        return None
    key = _match_ticket(policy.require_ticket, reason)
    if key is None:
        raise PolicyRefusal(
            f"{policy.name} needs a ticket in the reason, matching `{policy.require_ticket}`. "
            f"Add the ticket to the reason and ask again.")
    return Ticket(key, ticket_link(policy.ticket_url, key))


def _match_ticket(pattern: str, reason: str) -> str | None:
    compiled = re.compile(pattern)
    whole = compiled.search(reason)
    if whole and whole.group(0):
        return whole.group(0)
    for word in reason.split():
        found = compiled.search(word.strip(_TICKET_TRIM))
        if found and found.group(0):
            return found.group(0)
    return None


def ticket_link(url_template: str | None, key: str) -> str | None:
    """The ticket's URL from the role's template, the key made safe for a URL."""
    if url_template is None:
        return None
    return url_template.replace("{ticket}", quote(key, safe=""))


# -- max_total -------------------------------------------------------------------------------


def time_left(policy: AccessPolicy, granted: int) -> int | None:
    """Seconds that may still be granted under `max_total`; None when there is no total."""
    if policy.max_total is None:
        return None
    return max(0, policy.max_total - granted)


def check_total(policy: AccessPolicy, granted: int, asked: int) -> None:
    """Raise PolicyRefusal when `asked` more seconds would take the grant past `max_total`."""
    left = time_left(policy, granted)
    if left is None or asked <= left:
        return
    total = format_duration(policy.max_total or 0)
    if left == 0:
        raise PolicyRefusal(
            f"This grant of {policy.name} has had all of its {total} in total (max_total); "
            f"it cannot be extended further. Ask for a new grant when it ends.")
    raise PolicyRefusal(
        f"{format_duration(asked)} more would take this grant of {policy.name} past its "
        f"{total} in total (max_total): {format_duration(left)} is left. "
        f"Ask for {format_duration(left)} or less.")


# -- break-glass -----------------------------------------------------------------------------


def check_break_glass(policy: AccessPolicy, user: str, seconds: int,
                      used_at: Iterable[datetime], now: datetime, lookup: GroupLookup) -> None:
    """Raise PolicyRefusal unless `user` may break the glass on `policy` for `seconds` now.

    `used_at` holds when this user broke the glass on this role before; the last 7 days count.
    """
    rule = policy.break_glass
    if rule is None:
        raise PolicyRefusal(f"{policy.name} has no break-glass; use `/access request` instead.")
    found = membership(rule.allowed, user, lookup)
    if not found.member and found.unread:
        raise PolicyRefusal(f"{_unread_words(found.unread, lookup)}, so it cannot tell whether "
                            f"you may break the glass on {policy.name}. Use `/access request`.")
    if not found.member:
        raise PolicyRefusal(f"You may not break the glass on {policy.name}: only "
                            f"{describe(rule.allowed, lookup)} may. Use `/access request`.")
    if seconds > rule.max_duration:
        raise PolicyRefusal(f"Break-glass on {policy.name} lasts at most "
                            f"{format_duration(rule.max_duration)}; ask for that or less.")
    recent = sorted(t for t in used_at if now - WEEK < t <= now)
    if rule.max_per_week < 1:
        raise PolicyRefusal(f"Break-glass on {policy.name} is allowed 0 times a week; "
                            f"use `/access request`.")
    if len(recent) >= rule.max_per_week:
        raise PolicyRefusal(
            f"You have broken the glass on {policy.name} {len(recent)} times in the last 7 days; "
            f"the limit is {rule.max_per_week} a week. The next is possible after "
            f"{utc_label(recent[-rule.max_per_week] + WEEK)}; until then use `/access request`.")
