"""Block Kit for the organisation-wide digest: a row per account, each account's thread part."""

from __future__ import annotations

from domain import digest_text as words
from domain.org_digest import AccountDigest, OrgDigest
from domain.text import escape
from handlers.digest_blocks import (
    MARKS,
    MAX_BLOCKS,
    MAX_DETAIL_MESSAGES,
    MAX_SECTION_CHARS,
    Block,
    _plain,
    chunk,
    context,
    detail_messages,
    literal,
    section,
)

THREAD_MESSAGES = 40  # the whole thread's detail messages, shared out among the accounts
WORST_CHARTED = 3


def org_counts(digest: OrgDigest) -> str:
    """'41 open findings in 3 accounts, 5 new, 2 resolved, 1 account not checked'."""
    if digest.nothing_read:
        return f"no account could be checked ({words.plural(len(digest.rows), 'account')})"
    down = len(digest.unreachable)
    tail = f", {words.plural(down, 'account')} not checked" if down else ""
    return (f"{words.plural(len(digest.findings), 'open finding')} in "
            f"{words.plural(len(digest.rows), 'account')}, {digest.new_count} new, "
            f"{len(digest.resolved)} resolved{tail}")


def summary_text(digest: OrgDigest) -> str:
    return f"IAM hygiene digest, organisation: {org_counts(digest)}"


def _severities(counts: dict) -> str:
    shown = [f"{MARKS[s]} {n} {s.value}" for s, n in counts.items() if n]
    return " · ".join(shown) if shown else "nothing to fix"


def account_line(row: AccountDigest) -> str:
    """One account's row: severities, new, resolved and what it could not read."""
    digest = row.digest
    name = f"*{escape(row.name)}* ({row.id})"
    if digest.nothing_read:
        return f"• :x: {name}: NOT CHECKED: {literal('; '.join(digest.missing))[:600]}"
    line = (f"• {name}: {words.plural(len(digest.findings), 'open finding')}: "
            f"{_severities(digest.by_severity)}; {digest.new_count} new, "
            f"{len(digest.resolved)} resolved")
    if digest.unread:
        line += f"; :warning: missing {literal(', '.join(digest.unread))}"
    return line


def _packed(lines: list[str]) -> list[Block]:
    """Lines packed into as few sections as the 3,000-character limit allows."""
    sections, current = [], ""
    for line in lines:
        if current and len(current) + len(line) + 1 > MAX_SECTION_CHARS:
            sections.append(section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    return sections + ([section(current)] if current else [])


def summary_messages(digest: OrgDigest) -> list[list[Block]]:
    """The channel message (header, org total, a row per account); rows that do not fit in
    its 50 blocks continue in the first thread messages."""
    state = " · NOTHING CHECKED" if digest.nothing_read else " · INCOMPLETE" if digest.unread \
        else ""
    head = [{"type": "header", "text": _plain(
        f"IAM hygiene digest · organisation · {digest.day:%Y-%m-%d}{state}")},
        section(f"*Organisation total*: {escape(org_counts(digest))}\n"
                f"{_severities(digest.by_severity)}")]
    lines = [account_line(row) for row in digest.rows]
    if digest.org.findings or digest.org.resolved:
        lines.append(f"• *Across accounts*: {words.plural(len(digest.org.findings), 'finding')}"
                     f": {_severities(digest.org.by_severity)}; {digest.org.new_count} new, "
                     f"{len(digest.org.resolved)} resolved")
    tail = [context("Each account's details (owners, one-click fixes for Gatehouse admins, "
                    "acknowledgements) and the trend of the org and its worst accounts are in "
                    "the thread.")]
    activity = words.activity(digest.activity)
    if activity:
        tail.insert(0, section(escape(activity)))
    return chunk([[block] for block in head + _packed(lines) + tail], MAX_BLOCKS)


def _share(digest: OrgDigest) -> int:
    """Detail messages each account may use, so the thread stays readable."""
    busy = sum(1 for row in digest.rows if row.digest.findings or row.digest.resolved)
    return max(1, min(MAX_DETAIL_MESSAGES, THREAD_MESSAGES // max(1, busy)))


def _titled(title: str, messages: list[list[Block]]) -> list[list[Block]]:
    heading = section(title)
    if messages and len(messages[0]) < MAX_BLOCKS:
        return [[heading, *messages[0]], *messages[1:]]
    return [[heading], *messages]


def thread_messages(digest: OrgDigest) -> list[list[Block]]:
    """Each account with something to show, then the cross-account findings."""
    limit, messages = _share(digest), []
    for row in digest.rows:
        if row.digest.nothing_read or not (row.digest.findings or row.digest.resolved
                                           or row.digest.unchecked):
            continue
        title = (f"*{escape(row.name)}* ({row.id}): "
                 f"{words.plural(len(row.digest.findings), 'open finding')}")
        messages += _titled(title, detail_messages(row.digest, limit))
    if digest.org.findings or digest.org.resolved:
        messages += _titled("*Across accounts* (checks that need the whole organisation)",
                            detail_messages(digest.org, limit))
    return messages


def chart_panels(digest: OrgDigest) -> list[tuple[str, list[int | None]]]:
    """The org's open findings, then its worst accounts', over 30 days."""
    panels = [("ORGANISATION", [p.open for p in digest.trend])]
    return panels + [(row.name.upper()[:24], [p.open for p in row.digest.trend])
                     for row in digest.worst(WORST_CHARTED)]


def chart_caption(digest: OrgDigest) -> str:
    worst = digest.worst(WORST_CHARTED)
    named = ", ".join(f"{row.name} ({len(row.digest.findings)})" for row in worst)
    return (f"Open findings over the last 30 days: the organisation (today "
            f"{len(digest.findings)})" + (f", then its worst accounts: {named}." if named
                                          else "; no account has open findings."))
