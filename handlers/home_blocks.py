"""Block Kit for the App Home tab: grants, pending requests and decisions; pure functions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.durations import format_duration
from domain.requests import AccessRequest, Grant, Kind, Status
from domain.text import escape
from handlers.blocks import actions, button, confirm_dialog, context, section, when

Block = dict[str, Any]
MAX_BLOCKS = 100  # Slack refuses a Home view with more
MAX_ITEMS = 15  # per list; the rest is behind `/access list` and `/access pending`


@dataclass(frozen=True)
class Decision:
    """A request waiting for one approver, with the approvals it already has."""

    request: AccessRequest
    approvals: tuple[str, ...] = ()

    def voted_by(self, user: str) -> bool:
        return user in self.approvals


@dataclass(frozen=True)
class HomeContent:
    """Everything one user's Home shows, read at publishing time."""

    user: str
    now: datetime
    grants: list[tuple[AccessRequest, Grant]] = field(default_factory=list)
    pending: list[AccessRequest] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    decides: bool = False
    sections: list[list[Block]] = field(default_factory=list)
    notice: str | None = None


def home_view(content: HomeContent) -> dict[str, Any]:
    """The `home` view published with `views.publish`."""
    blocks = [*intro(content.notice), *grants_section(content.grants, content.now),
              *pending_section(content.pending)]
    if content.decides or content.decisions:
        blocks += decisions_section(content.decisions, content.user)
    for extra in content.sections:
        if extra:
            blocks += [divider(), *extra]
    blocks.append(context(f"Updated {when(content.now)}"))
    return {"type": "home", "blocks": fit(blocks)}


def divider() -> Block:
    return {"type": "divider"}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}


def intro(notice: str | None) -> list[Block]:
    blocks = [header("Gatehouse"),
              section("Temporary AWS access, approved in Slack. `/access request` asks for a "
                      "role; `/access help` lists every command.")]
    if notice:
        blocks.append(context(f":information_source: {notice}"))
    return blocks


def grants_section(grants: list[tuple[AccessRequest, Grant]], now: datetime) -> list[Block]:
    blocks = [divider(), section("*Your active access*")]
    if not grants:
        return blocks + [context("No active access. `/access request <role> <duration> "
                                 "<reason>` asks for some.")]
    for request, grant in grants[:MAX_ITEMS]:
        blocks.append(section(f"*{request.label}* · `{grant.role}` · until "
                              f"*{when(grant.ends_at)}* ({time_left(grant.ends_at, now)})"))
        value = str(grant.request_id)
        blocks.append(actions(
            button("Extend", "extend_open", value),
            button("Revoke", "revoke", value, "danger",
                   confirm_dialog(f"Revoke {request.label}?",
                                  "Your credentials stop working at once.", "Revoke")),
            block_id=f"grant-{grant.id}"))
    return blocks + _more(len(grants), "`/access list` shows them all.")


def time_left(ends_at: datetime, now: datetime) -> str:
    """Whole minutes, rounded up: a grant with 59m59s to go has "1h left"."""
    seconds = (ends_at - now).total_seconds()
    if seconds <= 0:
        return "ending now"
    return f"{format_duration(-(-int(seconds) // 60) * 60)} left"


def pending_section(requests: list[AccessRequest]) -> list[Block]:
    blocks = [divider(), section("*Your pending requests*")]
    if not requests:
        return blocks + [context("Nothing pending.")]
    for request in requests[:MAX_ITEMS]:
        state = ("approved, waiting for its start" if request.status is Status.APPROVED else
                 f"waiting for approval since {when(request.created_at)}")
        blocks.append(section(f"*{request.label}* · {describe(request)} · {state}"))
        blocks.append(actions(
            button("Cancel request", "cancel_request", str(request.id), None,
                   confirm_dialog(f"Cancel {request.label}?",
                                  "The approvers will no longer be asked.", "Cancel it")),
            block_id=f"pending-{request.id}"))
    return blocks + _more(len(requests), "`/access list` shows them all.")


def decisions_section(decisions: list[Decision], user: str) -> list[Block]:
    blocks = [divider(), section("*Waiting for your decision*")]
    if not decisions:
        return blocks + [context("Nothing waits for you.")]
    for decision in decisions[:MAX_ITEMS]:
        request = decision.request
        blocks.append(section(f"*{request.label}* · <@{request.requester}> asks for "
                              f"{describe(request)}\n>{escape(request.reason)[:500]}"))
        progress = f"{len(decision.approvals)} of {request.approvals_required} approvals"
        if decision.voted_by(user):
            blocks.append(context(f"You approved · {progress}; another approver must too."))
            continue
        blocks.append(context(f"{progress} · filed {when(request.created_at)}"))
        value = str(request.id)
        blocks.append(actions(button("Approve", "approve", value, "primary"),
                              button("Deny", "deny", value, "danger"),
                              block_id=f"decide-{request.id}"))
    return blocks + _more(len(decisions), "`/access pending` shows them all.")


def describe(request: AccessRequest) -> str:
    """What a request asks for, in a few words."""
    if request.kind is Kind.EXTEND:
        return (f"{format_duration(request.duration_seconds)} more on R-{request.parent_id} "
                f"(`{request.role}`)")
    if request.kind is Kind.KEY:
        target = request.target_user or request.requester
        return f"a new access key for <@{target}>"
    start = f" from {when(request.starts_at)}" if request.starts_at else ""
    return f"`{request.role}` for {format_duration(request.duration_seconds)}{start}"


def _more(count: int, hint: str) -> list[Block]:
    if count <= MAX_ITEMS:
        return []
    return [context(f"{count - MAX_ITEMS} more not shown here; {hint}")]


def fit(blocks: list[Block]) -> list[Block]:
    """Keep within Slack's 100 blocks, saying that something was left out."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    return blocks[:MAX_BLOCKS - 1] + [context("Some sections did not fit on this page.")]


def broken_section() -> list[Block]:
    """Stands in for a section whose provider failed, so the rest of the Home still shows."""
    return [context(":warning: One section could not be loaded just now; it comes back at "
                    "the next update.")]
