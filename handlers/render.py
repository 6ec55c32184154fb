"""Text answers for filing, list, pending and audit; pure functions."""

from __future__ import annotations

import json
from collections.abc import Iterable

from domain.audit import AuditEntry
from domain.durations import format_duration
from domain.requests import AccessRequest, Grant, Kind, Status
from domain.text import escape
from handlers.blocks import request_title, when

AUDIT_SHOWN = 25  # entries in one answer
AUDIT_READ = 500  # entries counted, to say how many were left out


def filed(request: AccessRequest, grant: Grant | None, channel: str | None) -> str:
    """The one confirmation of a filed request: id, what, how long, and what happens next."""
    what = (f"{format_duration(request.duration_seconds)} more on R-{request.parent_id} "
            f"(`{request.role}`)" if request.kind is Kind.EXTEND else
            f"`{request.role}` for {format_duration(request.duration_seconds)}")
    if request.starts_at:
        what += f", starting {when(request.starts_at)}"
    head = f"{request.label} filed: {what}."
    if request.status is Status.PENDING:
        where = f" in <#{channel}>" if channel else ""
        return f"{head} It waits for approval{where}; you get a DM when it is decided."
    if request.status is Status.APPROVED and request.starts_at and grant is None:
        return (f"{head} Approved automatically; access starts at {when(request.starts_at)} and "
                f"the credentials come in a DM then. `/access cancel {request.label}` cancels "
                "it before then.")
    if grant is not None and request.status in (Status.APPROVED, Status.ACTIVE):
        whose = f"R-{grant.request_id} now runs" if request.kind is Kind.EXTEND else "Active"
        return (f"{head} Approved automatically. {whose} until {when(grant.ends_at)}; the "
                "credentials are in your DM from Gatehouse.")
    return f"{head} It is {request.status.value}; your DM from Gatehouse says more."


def own_requests(requests: Iterable[AccessRequest], grants: dict[int, Grant],
                 extra: Iterable[str] = ()) -> str:
    lines = []
    for request in requests:
        grant = grants.get(request.grant_id) if request.grant_id else None
        if grant:
            lines.append(f"• *{request.label}* `{request.role}` active until {when(grant.ends_at)}"
                         f" — `/access revoke {request.label}` · `/access extend {request.label}"
                         " <duration>`")
        else:
            start = f", starts {when(request.starts_at)}" if request.starts_at else ""
            lines.append(f"• *{request.label}* `{request.role}` {request.status.value}, "
                         f"{format_duration(request.duration_seconds)}{start}, asked "
                         f"{when(request.created_at)} — `/access cancel {request.label}`")
    if not lines:
        return "\n".join(["You have no pending requests or active grants. `/access request` "
                          "asks for one.", *extra])
    return "*Your requests and grants*\n" + "\n".join([*lines, *extra])


def waiting(requests: list[AccessRequest]) -> str:
    if not requests:
        return "Nothing is waiting for your decision."
    lines = [f"• *{r.label}* {escape(request_title(r).removeprefix(r.label + ': '))} by "
             f"<@{r.requester}>, "
             f"{format_duration(r.duration_seconds)}: {escape(r.reason)[:200]}" for r in requests]
    return "*Waiting for your decision*\n" + "\n".join(lines)


def audit_entries(entries: list[AuditEntry], days: int) -> str:
    """The newest AUDIT_SHOWN entries, and how many more matched and how to narrow."""
    span = "day" if days == 1 else f"{days} days"
    if not entries:
        return f"No audit entries match in the last {span}."
    lines = []
    for entry in entries[:AUDIT_SHOWN]:
        request = f" R-{entry.request_id}" if entry.request_id else ""
        details = escape(json.dumps(entry.details, sort_keys=True))[:160]
        lines.append(f"`{entry.at}` {entry.action}{request} by {_actor(entry.actor)} {details}")
    if len(entries) > AUDIT_SHOWN:
        more = len(entries) - AUDIT_SHOWN
        count = f"{more}+" if len(entries) >= AUDIT_READ else str(more)
        lines.append(f"…and {count} older {'entry' if more == 1 else 'entries'} not shown. "
                     "Narrow it: `/access audit @person`, `/access audit <role>`, or fewer "
                     "days (`/access audit <role> 1`).")
    return f"*Audit, last {span} (newest first)*\n" + "\n".join(lines)


def _actor(actor: str) -> str:
    return f"<@{actor}>" if actor[:1] in {"U", "W"} else actor
