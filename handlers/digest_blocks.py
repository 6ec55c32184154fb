"""Block Kit for the digest: channel summary, thread details in chunks, buttons, modal, home."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from domain import digest_text as words
from domain.digest import Digest, Fix, StoredFinding, finding_id
from domain.hygiene import Finding, Severity
from domain.text import escape

Block = dict[str, Any]
MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_DETAIL_MESSAGES = 10
ACK_DEFAULT_DAYS = 30
ACK_MODAL = "digest_ack_modal"
ACTION_DEACTIVATE_KEY = "digest_deactivate_key"
ACTION_REMOVE_PASSWORD = "digest_remove_password"
ACTION_ACKNOWLEDGE = "digest_acknowledge"
ADMINS_ONLY = "Only Gatehouse admins can apply fixes; anyone else is refused."
MARKS = {Severity.CRITICAL: ":red_circle:", Severity.HIGH: ":large_orange_circle:",
         Severity.MEDIUM: ":large_yellow_circle:", Severity.LOW: ":white_circle:"}


MARKED_WORD = re.compile(r"[^\s`()\[\]]*[*_~][^\s`()\[\]]*")


def literal(text: str) -> str:
    """Text from AWS or a check, shown as written: `&<>` escaped, and each word that holds a
    mrkdwn mark (`*:*`, `_x_`, `~`) set in a code span, so Slack neither bolds nor drops it."""
    def code(match: re.Match[str]) -> str:
        word = match.group(0)
        tail = word[len(word.rstrip(".,;:")):] if word.rstrip(".,;:") else ""
        return f"`{word[:len(word) - len(tail)]}`{tail}"
    return MARKED_WORD.sub(code, escape(text.replace("`", "'")))


def clip(text: str, limit: int = MAX_SECTION_CHARS) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def section(text: str, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": clip(text)}}
    if block_id:
        block["block_id"] = block_id
    return block


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text)}]}


# --- the channel summary ----------------------------------------------------------------------

def summary_text(digest: Digest) -> str:
    """The notification text of the summary message."""
    return f"IAM hygiene digest{words.incomplete(digest)}: {summary_counts(digest)}"


def summary_counts(digest: Digest) -> str:
    """'14 open findings, 3 new, 1 resolved', or that nothing could be checked."""
    if digest.nothing_read:
        return "nothing was checked"
    return (f"{words.plural(len(digest.findings), 'open finding')}, "
            f"{digest.new_count} new, {len(digest.resolved)} resolved")


def _counts(digest: Digest) -> str:
    if digest.nothing_read:
        return (f":warning: *{words.NOTHING_READ}.* No findings is not a clean bill: fix the "
                "sources below (credentials, permissions), then post it again.")
    if digest.unread:
        incomplete = f":warning: *Incomplete: could not read {escape(', '.join(digest.unread))}*"
        return f"{incomplete}\n{_totals(digest, 'nothing to fix among the sources read')}"
    return _totals(digest, "nothing to fix today")


def _totals(digest: Digest, none: str) -> str:
    shown = [f"{MARKS[s]} {n} {s.value}" for s, n in digest.by_severity.items() if n]
    total = f"*{words.plural(len(digest.findings), 'open finding')}*"
    return f"{total}: " + " · ".join(shown) if shown else f"{total}: {none}"


def summary_blocks(digest: Digest) -> list[Block]:
    state = " · NOTHING CHECKED" if digest.nothing_read else " · INCOMPLETE" if digest.unread \
        else ""
    blocks = [{"type": "header", "text": _plain(
        f"IAM hygiene digest · {digest.account_id or 'account'} · {digest.day:%Y-%m-%d}{state}")},
        section(_counts(digest)), section(escape(words.changes(digest)))]
    missing = words.missing_sources(digest)
    if missing:
        blocks.append(section(f":warning: *{literal(missing)}*"))
    activity = words.activity(digest.activity)
    if activity:
        blocks.append(section(escape(activity)))
    unreviewed = words.unreviewed_break_glass(digest.activity)
    if unreviewed:
        blocks.append(section(f":rotating_light: {escape(unreviewed)}"))
    notes = [words.acknowledged(digest), words.freshness(digest)]
    blocks.append(context(escape(" · ".join(n for n in notes if n))))
    blocks.append(context("Details, one-click fixes (for Gatehouse admins) and the 30-day "
                          "trend are in the thread."))
    return blocks


# --- the thread -------------------------------------------------------------------------------

def _confirm(title: str, text: str, confirm: str) -> dict[str, Any]:
    return {"title": _plain(title, 100), "text": {"type": "mrkdwn", "text": clip(text, 300)},
            "confirm": _plain(confirm, 30), "deny": _plain("Cancel", 30), "style": "danger"}


def fix_button(fix: Fix) -> Block:
    if fix.kind == "deactivate_key":
        return {"type": "button", "action_id": ACTION_DEACTIVATE_KEY, "style": "danger",
                "text": _plain("Deactivate key"), "value": fix.button_value,
                "confirm": _confirm("Deactivate this access key?", (
                    f"Access key {fix.slot} of IAM user *{fix.user}* stops working at once. "
                    f"It can be reactivated in IAM. {ADMINS_ONLY}"), "Deactivate")}
    return {"type": "button", "action_id": ACTION_REMOVE_PASSWORD, "style": "danger",
            "text": _plain("Remove console password"), "value": fix.button_value,
            "confirm": _confirm("Remove the console password?", (
                f"IAM user *{fix.user}* can no longer sign in to the console; their access "
                f"keys keep working. {ADMINS_ONLY}"), "Remove")}


def ack_button(finding: Finding) -> Block:
    return {"type": "button", "action_id": ACTION_ACKNOWLEDGE, "text": _plain("Acknowledge…"),
            "value": finding_id(finding.key)}


def finding_text(finding: Finding, digest: Digest) -> str:
    new = " · *new*" if digest.is_new(finding) else ""
    owner = digest.owners.get(finding.key)
    tail = f"\n_Fix:_ {literal(finding.remediation)}"
    tail += f"\nOwner: <@{owner}>" if owner else ""
    head = f"{MARKS[finding.severity]} *{literal(finding.title)}*{new}  `{finding.check_id}`\n"
    room = MAX_SECTION_CHARS - len(head) - len(tail)
    return head + clip(literal(finding.detail), max(room, 100)) + tail


def finding_blocks(finding: Finding, digest: Digest, position: int = 0) -> list[Block]:
    """A finding and its buttons; `position` keeps block ids unique within the thread."""
    buttons = [fix_button(fix) for fix in [digest.fixes.get(finding.key)] if fix]
    return [section(clip(finding_text(finding, digest)), f"finding-{position}"),
            {"type": "actions", "block_id": f"finding-actions-{position}",
             "elements": [*buttons, ack_button(finding)]}]


def _list_sections(title: str, lines: list[str]) -> list[list[Block]]:
    """A titled list, split over as many sections as the 3,000-character limit needs."""
    groups, current = [], f"*{title}*"
    for line in lines:
        if len(current) + len(line) + 1 > MAX_SECTION_CHARS:
            groups.append([section(current)])
            current = ""
        current = f"{current}\n{line}" if current else line
    return groups + [[section(current)]]


def _stored_lines(findings: Iterable[StoredFinding]) -> list[str]:
    return [f"• {literal(f.title)}  `{f.check_id}`" for f in findings]


def chunk(groups: list[list[Block]], limit: int = MAX_BLOCKS) -> list[list[Block]]:
    """Pack groups of blocks into messages of at most `limit` blocks, never splitting a group."""
    messages: list[list[Block]] = []
    for group in groups:
        if not messages or len(messages[-1]) + len(group) > limit:
            messages.append([])
        messages[-1].extend(group)
    return messages


def _finding_groups(digest: Digest) -> list[list[Block]]:
    groups: list[list[Block]] = []
    for severity in Severity:
        found = [f for f in digest.findings if f.severity is severity]
        for index, finding in enumerate(found):
            head = [section(f"*{severity.value.capitalize()}* ({len(found)})")] if not index else []
            groups.append(head + finding_blocks(finding, digest, len(groups)))
    return groups


def _list_groups(digest: Digest) -> list[list[Block]]:
    acked = [f"• {literal(f.title)}  `{f.check_id}`: accepted until {a.until:%Y-%m-%d} by "
             f"<@{a.by}>" for f, a in digest.acknowledged]
    lists = [("Resolved since the previous digest", _stored_lines(digest.resolved)),
             ("Not checked this time (its source is missing); last seen open",
              _stored_lines(digest.unchecked)),
             ("Acknowledged", acked)]
    return [group for title, lines in lists if lines for group in _list_sections(title, lines)]


def detail_messages(digest: Digest, limit: int = MAX_DETAIL_MESSAGES) -> list[list[Block]]:
    """The thread: findings by severity with buttons, then resolved and acknowledged lists."""
    messages = chunk(_finding_groups(digest) + _list_groups(digest))
    if not messages:
        return [[section(f"{words.NOTHING_READ}." if digest.nothing_read else
                         "Nothing to fix today." if not digest.unread else
                         "Nothing to fix among the sources that could be read.")]]
    if len(messages) <= limit:
        return messages
    shown = messages[:limit - 1]
    left = sum(1 for m in messages[limit - 1:] for b in m if b.get("block_id", "").startswith(
        "finding-") and b["type"] == "section")
    return shown + [[section(f"…and {words.plural(left, 'more finding')} not shown here. "
                             "`python bot.py digest --print` prints them all.")]]


def detail_text(blocks: list[Block]) -> str:
    findings = sum(1 for b in blocks if b["type"] == "section"
                   and b.get("block_id", "").startswith("finding-"))
    return f"IAM hygiene digest details ({words.plural(findings, 'finding')})"


def trend_caption(digest: Digest) -> str:
    known = [p for p in digest.trend if p.open is not None]
    first = digest.trend[0].day if digest.trend else digest.day
    return (f"Open findings, {first:%Y-%m-%d} to {digest.day:%Y-%m-%d}: one bar a day "
            f"(grey: no digest that day); today {known[-1].open if known else 0}, "
            f"highest {max((p.open for p in known), default=0)}.")


# --- the acknowledgement modal and the App Home -------------------------------------------------

def ack_modal(finding: StoredFinding, today: date) -> dict[str, Any]:
    initial = today + timedelta(days=ACK_DEFAULT_DAYS)
    return {
        "type": "modal", "callback_id": ACK_MODAL, "private_metadata": finding.fid,
        "title": _plain("Acknowledge finding", 24), "submit": _plain("Acknowledge", 24),
        "close": _plain("Cancel", 24),
        "blocks": [
            section(f"*{literal(finding.title)}*  `{finding.check_id}`"),
            {"type": "input", "block_id": "until", "label": _plain("Accepted until"),
             "hint": _plain("Hidden from the digest through this date; it returns after it."),
             "element": {"type": "datepicker", "action_id": "until",
                         "initial_date": initial.isoformat()}},
            {"type": "input", "block_id": "note", "optional": True, "label": _plain("Why"),
             "element": {"type": "plain_text_input", "action_id": "note", "max_length": 300}},
        ],
    }


def home_blocks(created_at: datetime, summary: Mapping[str, Any],
                channel: str | None) -> list[Block]:
    """The latest digest's headline for admins' App Home."""
    counts = ", ".join(f"{n} {s}" for s, n in summary.get("by_severity", {}).items() if n)
    where = f" in <#{channel}>" if channel else ""
    text = (f"*IAM hygiene digest* ({words.moment(created_at)}{where}): "
            f"{words.plural(summary.get('open', 0), 'open finding')}"
            f"{f' ({counts})' if counts else ''}; {summary.get('new', 0)} new, "
            f"{summary.get('resolved', 0)} resolved, "
            f"{summary.get('acknowledged', 0)} acknowledged.")
    if summary.get("nothing_read"):
        text = (f"*IAM hygiene digest* ({words.moment(created_at)}{where}): "
                f":warning: {words.NOTHING_READ}.")
    blocks = [section(text)]
    if summary.get("missing"):
        blocks.append(context(literal("Missing sources: " + "; ".join(summary["missing"]))))
    return blocks
