"""The organisation-wide digest in plain text, for `python bot.py digest --print`."""

from __future__ import annotations

from domain.digest_text import activity, plural, render_text, trend
from domain.hygiene.model import moment
from domain.org_digest import AccountDigest, OrgDigest


def severities(counts: dict) -> str:
    shown = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
    return shown or "nothing to fix"


def account_row(row: AccountDigest) -> str:
    """'prod (111111111111): 14 open findings (2 critical, 5 high); 3 new, 1 resolved'."""
    digest = row.digest
    if digest.nothing_read:
        return f"{row.name} ({row.id}): NOT CHECKED: {'; '.join(digest.missing)}"
    line = (f"{row.name} ({row.id}): {plural(len(digest.findings), 'open finding')} "
            f"({severities(digest.by_severity)}); {digest.new_count} new, "
            f"{len(digest.resolved)} resolved")
    return line + (f"; missing: {', '.join(digest.unread)}" if digest.unread else "")


def summary_lines(digest: OrgDigest) -> list[str]:
    """The org total, then one line per account, as the channel summary shows them."""
    down = len(digest.unreachable)
    total = (f"Organisation: {plural(len(digest.findings), 'open finding')} in "
             f"{plural(len(digest.rows), 'account')} ({severities(digest.by_severity)}); "
             f"{digest.new_count} new, {len(digest.resolved)} resolved"
             + (f"; {plural(down, 'account')} not checked" if down else ""))
    rows = [f"  {account_row(row)}" for row in digest.rows]
    if digest.org.findings or digest.org.resolved:
        rows.append(f"  Across accounts: {plural(len(digest.org.findings), 'finding')} "
                    f"({severities(digest.org.by_severity)})")
    extra = [trend(digest.trend), activity(digest.activity)]
    return [total, *rows, *[line for line in extra if line]]


def render_org_text(digest: OrgDigest) -> str:
    """The summary, then each account's digest in full, then the cross-account findings."""
    state = ": NOTHING CHECKED in any account" if digest.nothing_read else ""
    lines = [f"IAM hygiene digest for the organisation, {moment(digest.now)}{state}", "",
             *summary_lines(digest)]
    parts = ["\n".join(lines) + "\n"]
    for row in digest.rows:
        parts.append(f"\n=== {row.name} ({row.id}) ===\n" + render_text(row.digest))
    if digest.org.findings or digest.org.resolved:
        body = render_text(digest.org).split("\n", 1)[1]  # its heading names no account
        parts.append("\n=== Across accounts ===" + body)
    return "".join(parts)
