"""The digest in words: phrases shared by Slack and the terminal, and the plain-text rendering."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from domain.digest import Digest, GatehouseActivity, StoredFinding, TrendPoint
from domain.durations import format_duration
from domain.hygiene.findings import Finding, Severity
from domain.hygiene.model import moment

SPARK = "▁▂▃▄▅▆▇█"


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


def age(span: timedelta) -> str:
    """'12 min', '3 h', '5 days'."""
    minutes = max(0, int(span.total_seconds() // 60))
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} days"


NOTHING_READ = "NOTHING CHECKED: no source could be read, so this digest says nothing about " \
    "the account"


def heading(digest: Digest) -> str:
    account = f"account {digest.account_id}" if digest.account_id else "an unknown account"
    return f"IAM hygiene digest for {account}, {moment(digest.now)}{incomplete(digest)}"


def incomplete(digest: Digest) -> str:
    """'' for a complete digest; else what it could not read, for the end of its headline."""
    if digest.nothing_read:
        return f": {NOTHING_READ}"
    if digest.unread:
        return f" (INCOMPLETE: could not read {', '.join(digest.unread)})"
    return ""


def severity_counts(digest: Digest) -> str:
    """'14 open findings: 2 critical, 5 high, 5 medium, 2 low'."""
    if digest.nothing_read:
        return "No findings, because nothing was checked: see the missing sources below"
    counts = ", ".join(f"{n} {s.value}" for s, n in digest.by_severity.items() if n)
    total = plural(len(digest.findings), "open finding")
    return f"{total}: {counts}" if counts else f"{total}"


def changes(digest: Digest) -> str:
    if digest.previous_at is None:
        return "First digest: nothing earlier to compare with, so every finding is new"
    parts = [f"{digest.new_count} new", f"{len(digest.resolved)} resolved",
             f"{digest.still_open_count} still open"]
    return f"Since the previous digest ({moment(digest.previous_at)}): " + ", ".join(parts)


def acknowledged(digest: Digest) -> str | None:
    if not digest.acknowledged:
        return None
    return (f"Acknowledged, hidden until the date accepted: {len(digest.acknowledged)} "
            "(listed at the end)")


def freshness(digest: Digest) -> str:
    parts = [f"collected {moment(digest.now)}"]
    if digest.report_generated is not None:
        parts.append(f"credential report generated {moment(digest.report_generated)} "
                     f"({age(digest.now - digest.report_generated)} old)")
    if digest.events_read:
        parts.append(f"CloudTrail: {plural(digest.event_count, 'event')} in the last 24 h")
    return "Data: " + "; ".join(parts)


def missing_sources(digest: Digest) -> str | None:
    if not digest.missing:
        return None
    return "Missing sources: " + "; ".join(digest.missing)


def activity(found: GatehouseActivity | None) -> str | None:
    if found is None:
        return None
    median = ("no approvals by people" if found.median_approval_seconds is None else
              f"median time to approve {format_duration(int(found.median_approval_seconds))}")
    return (f"Gatehouse, last 24 h: {plural(found.requests, 'request')}, "
            f"{plural(found.approvals, 'approval')}, {plural(found.denials, 'denial')}, "
            f"{plural(found.grants, 'grant')}; {median}; "
            f"{plural(found.active_grants, 'grant')} active now; "
            f"{plural(found.pending, 'request')} pending")


def unreviewed_break_glass(found: GatehouseActivity | None) -> str | None:
    """Break-glass not yet reviewed: listed in every digest until an approver answers."""
    if found is None or not found.unreviewed_break_glass:
        return None
    return "Break-glass not yet reviewed: " + "; ".join(found.unreviewed_break_glass)


def trend(points: Iterable[TrendPoint]) -> str | None:
    """'Open findings over 30 days: ▁▃▅█ (low 3, high 14, today 14)'."""
    known = [p for p in points if p.open is not None]
    if len(known) < 2:
        return None
    top = max(p.open for p in known) or 1
    line = "".join(SPARK[min(7, p.open * 7 // top)] for p in known)
    low, high = min(p.open for p in known), max(p.open for p in known)
    return (f"Open findings over {len(known)} days with a digest: {line} "
            f"(low {low}, high {high}, today {known[-1].open})")


def summary_lines(digest: Digest) -> list[str]:
    """The channel summary, one line each, in the order shown."""
    lines = [severity_counts(digest), changes(digest), acknowledged(digest),
             trend(digest.trend), freshness(digest), missing_sources(digest),
             activity(digest.activity), unreviewed_break_glass(digest.activity)]
    return [line for line in lines if line]


def finding_lines(finding: Finding, digest: Digest) -> list[str]:
    mark = "[new] " if digest.is_new(finding) else ""
    lines = [f"* {mark}{finding.title}  ({finding.check_id})", f"    {finding.detail}",
             f"    Fix: {finding.remediation}"]
    owner = digest.owners.get(finding.key)
    if owner:
        lines.append(f"    Owner: Slack user {owner}")
    return lines


def _stored(findings: Iterable[StoredFinding]) -> list[str]:
    return [f"* {f.title}  ({f.check_id})" for f in findings]


def render_text(digest: Digest) -> str:
    """The whole digest as plain text, for `python bot.py digest --print`."""
    lines = [heading(digest), "", *summary_lines(digest)]
    for severity in Severity:
        group = [f for f in digest.findings if f.severity is severity]
        if group:
            lines += ["", f"{severity.value.upper()} ({len(group)})"]
            lines += [line for f in group for line in finding_lines(f, digest)]
    sections = [
        ("Resolved since the previous digest", _stored(digest.resolved)),
        ("Not checked this time (its source is missing); last seen open", _stored(
            digest.unchecked)),
        ("Acknowledged", [f"* {f.title}  ({f.check_id}): accepted until {a.until:%Y-%m-%d} "
                          f"by {a.by}" for f, a in digest.acknowledged]),
    ]
    for title, items in sections:
        if items:
            lines += ["", title, *items]
    if not digest.findings and not digest.acknowledged and not digest.nothing_read:
        lines += ["", "Nothing to fix today." if not digest.unread else
                  "Nothing to fix among the sources that could be read."]
    return "\n".join(lines) + "\n"
