"""Block Kit builders for requests, grants and credentials: pure functions of their inputs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.durations import format_duration
from domain.requests import AccessRequest, Grant, Kind, Status
from domain.text import escape, utc_label

Block = dict[str, Any]
SECTION_LIMIT = 3000
BUTTON_URL_LIMIT = 3000
TOKEN_PART_CHARS = 2800  # a part plus its label and code fences stays under SECTION_LIMIT
STATUS_WORDS = {
    Status.PENDING: ":hourglass_flowing_sand: Waiting for approval",
    Status.APPROVED: ":white_check_mark: Approved, granting…",
    Status.ACTIVE: ":large_green_circle: Active",
    Status.EXPIRED: ":white_circle: Expired",
    Status.REVOKED: ":no_entry: Revoked",
    Status.DENIED: ":x: Denied",
    Status.CANCELLED: ":heavy_minus_sign: Cancelled",
    Status.FAILED: ":warning: Failed",
}


def status_words(request: AccessRequest) -> str:
    """The status line; an approved request waiting for its start says when it starts."""
    if request.status is Status.APPROVED and request.starts_at is not None:
        return f":calendar: Approved, starts {when(request.starts_at)}"
    return STATUS_WORDS[request.status]


def when(moment: datetime | None) -> str:
    return utc_label(moment) if moment else "—"


def section(text: str) -> Block:
    if len(text) > SECTION_LIMIT:
        text = text[: SECTION_LIMIT - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def fields(*pairs: tuple[str, str]) -> Block:
    return {"type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"[:2000]} for k, v in pairs]}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}


def button(text: str, action_id: str, value: str, style: str | None = None,
           confirm: dict[str, Any] | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "action_id": action_id, "value": value,
                               "text": {"type": "plain_text", "text": text}}
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def confirm_dialog(title: str, text: str, yes: str) -> dict[str, Any]:
    return {"title": {"type": "plain_text", "text": title[:100]},
            "text": {"type": "mrkdwn", "text": text[:300]},
            "confirm": {"type": "plain_text", "text": yes[:30]},
            "deny": {"type": "plain_text", "text": "Cancel"}}


def actions(*elements: dict[str, Any], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def request_title(request: AccessRequest) -> str:
    if request.kind is Kind.KEY:
        return f"{request.label}: rotate the access key of {request.target_user or 'a user'}"
    if request.kind is Kind.EXTEND:
        return f"{request.label}: extend R-{request.parent_id} ({request.role})"
    return f"{request.label}: access to {request.role}"


def request_message(request: AccessRequest, *, description: str, approvals: list[str],
                    deciders: list[str], ticket: str | None = None) -> list[Block]:
    """The message in the approval channel; buttons only while the request is pending."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": request_title(request)[:150]}},
        fields(("Requester", f"<@{request.requester}>"),
               ("Role", f"`{request.role}`" + (f" — {escape(description)}" if description else "")),
               ("Duration", format_duration(request.duration_seconds)
                if request.kind is not Kind.KEY else "—"),
               ("Status", status_words(request)),
               *((("Starts", when(request.starts_at)),) if request.starts_at else ())),
        section(f"*Reason*\n{escape(request.reason)}"),
    ]
    if ticket:
        blocks.append(section(f"*Ticket*\n{ticket}"))
    blocks.append(context(_progress(request, approvals, deciders)))
    if request.status is Status.PENDING:
        value = str(request.id)
        blocks.append(actions(button("Approve", "approve", value, "primary"),
                              button("Deny", "deny", value, "danger"),
                              block_id=f"decide-{request.id}"))
    return blocks


def _progress(request: AccessRequest, approvals: list[str], deciders: list[str]) -> str:
    if request.status is Status.PENDING:
        votes = f"{len(approvals)} of {request.approvals_required} approvals"
        who = ", ".join(f"<@{u}>" for u in deciders[:10]) or "an admin"
        return f"{votes} · can decide: {who} · filed {when(request.created_at)}"
    if request.decided_by:
        verb = {Status.DENIED: "Denied", Status.CANCELLED: "Cancelled"}.get(request.status,
                                                                          "Approved")
        deciders = approvals if verb == "Approved" and len(approvals) > 1 else \
            [request.decided_by]
        by = "Gatehouse (auto-approval)" if request.decided_by == "gatehouse" \
            else ", ".join(f"<@{u}>" for u in deciders)
        extra = f" · {escape(request.note)}" if request.note else ""
        return f"{verb} by {by} at {when(request.decided_at)}{extra}"
    note = f" · {escape(request.note)}" if request.note else ""
    return f"{request.status.value.capitalize()}{note}"


def request_text(request: AccessRequest) -> str:
    """Plain fallback text for notifications."""
    start = f" from {when(request.starts_at)}" if request.starts_at else ""
    return (f"{request_title(request)} for {format_duration(request.duration_seconds)}{start} "
            f"by <@{request.requester}> ({request.status.value})")


def credentials_message(request: AccessRequest, grant: Grant, *, access_key_id: str,
                        secret_access_key: str, session_token: str, console_url: str | None,
                        note: str | None) -> list[Block]:
    """The DM that holds the secrets; it is replaced by `credentials_removed` at the end.

    Secrets are never cut: a long session token is split over several code blocks and a
    sign-in link too long for a button is left out, so every block stays within Slack's limits.
    """
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Access to {grant.role}"}},
        section(f"{request.label} is active until *{when(grant.ends_at)}*. "
                "Keep these credentials to yourself; this message loses them when access ends."),
    ]
    if note:
        blocks.append(context(escape(note)))
    if console_url:
        blocks.append(_console_link(request, console_url))
    blocks.extend(cli_blocks(access_key_id, secret_access_key, session_token))
    blocks.append(actions(
        button("Extend", "extend_open", str(grant.request_id)),
        button("Revoke now", "revoke", str(grant.request_id), "danger",
               confirm_dialog("Revoke access?", "Your credentials stop working at once.",
                              "Revoke")),
    ))
    return blocks


def _console_link(request: AccessRequest, console_url: str) -> Block:
    if len(console_url) <= BUTTON_URL_LIMIT:
        return actions(button("Open the AWS console", "console_link", str(request.id))
                       | {"url": console_url})
    return context(f"The console sign-in link is {len(console_url):,} characters long, more "
                   f"than Slack allows ({BUTTON_URL_LIMIT:,}), so it is not shown: use the CLI "
                   "credentials below.")


def cli_blocks(access_key_id: str, secret_access_key: str, session_token: str) -> list[Block]:
    """The `export` lines, whole: in one section when they fit, else the token in parts."""
    keys = (f"export AWS_ACCESS_KEY_ID={access_key_id}\n"
            f"export AWS_SECRET_ACCESS_KEY={secret_access_key}\n")
    whole = f"*CLI*\n```{keys}export AWS_SESSION_TOKEN={session_token}```"
    if len(whole) <= SECTION_LIMIT:
        return [_secret_section(whole)]
    parts = [session_token[i:i + TOKEN_PART_CHARS]
             for i in range(0, len(session_token), TOKEN_PART_CHARS)]
    parts[0] = "export AWS_SESSION_TOKEN=" + parts[0]
    blocks = [_secret_section(f"*CLI*\n```{keys}```"),
              context(f"The session token is too long for one Slack block, so it comes in "
                      f"{len(parts)} parts: paste them one after the other on one line, with "
                      "nothing in between.")]
    for number, part in enumerate(parts, 1):
        blocks.append(_secret_section(f"*Session token, part {number} of {len(parts)}*\n"
                                      f"```{part}```"))
    return blocks


def _secret_section(text: str) -> Block:
    """A section holding a secret: never shortened; over the limit is a bug, not a cut."""
    if len(text) > SECTION_LIMIT:
        raise ValueError(f"a section holding a secret would be {len(text)} characters")
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def credentials_removed(request: AccessRequest, grant: Grant, ended: str) -> list[Block]:
    return [
        {"type": "header", "text": {"type": "plain_text", "text": f"Access to {grant.role}"}},
        section(f"{request.label}: access {ended}. The credentials and sign-in link were "
                "removed from this message."),
    ]


def expiry_warning(grant: Grant, minutes: int) -> list[Block]:
    return [
        section(f":alarm_clock: Your access to *{grant.role}* (R-{grant.request_id}) ends in "
                f"{minutes} minutes, at {when(grant.ends_at)}."),
        actions(button("Extend", "extend_open", str(grant.request_id), "primary")),
    ]


def expiry_warning_settled(text: str) -> list[Block]:
    """The warning once the grant was extended or ended: its Extend button goes."""
    return [section(text)]


def break_glass_review(request_id: int, text: str) -> list[Block]:
    """The review prompt in the approval thread: Justified / Not justified for the approvers."""
    value = str(request_id)
    return [section(text),
            actions(button("Justified", "breakglass_justified", value, "primary"),
                    button("Not justified", "breakglass_not_justified", value, "danger"),
                    block_id=f"review-{request_id}")]


def break_glass_reviewed(text: str) -> list[Block]:
    """The review prompt once answered: the verdict, no buttons."""
    return [section(text)]


def reminder_text(request: AccessRequest, waiting: list[str]) -> str:
    who = " ".join(f"<@{u}>" for u in waiting) or "Admins"
    return f"{who}: {request.label} is still waiting for a decision."
