"""Text answers for list, pending and audit; pure functions."""

from __future__ import annotations

import json
from collections.abc import Iterable

from domain.audit import AuditEntry
from domain.durations import format_duration
from domain.requests import AccessRequest, Grant
from domain.text import escape
from handlers.blocks import request_title, when


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
            lines.append(f"• *{request.label}* `{request.role}` {request.status.value}, "
                         f"{format_duration(request.duration_seconds)} asked "
                         f"{when(request.created_at)} — `/access cancel {request.label}`")
    lines.extend(extra)
    if not lines:
        return "You have no pending requests or active grants. `/access request` asks for one."
    return "*Your requests and grants*\n" + "\n".join(lines)


def waiting(requests: list[AccessRequest]) -> str:
    if not requests:
        return "Nothing is waiting for your decision."
    lines = [f"• *{r.label}* {escape(request_title(r))} by <@{r.requester}>, "
             f"{format_duration(r.duration_seconds)}: {escape(r.reason)[:200]}" for r in requests]
    return "*Waiting for your decision*\n" + "\n".join(lines)


def audit_entries(entries: list[AuditEntry], days: int) -> str:
    if not entries:
        return f"No audit entries match in the last {days} days."
    lines = []
    for entry in entries:
        request = f" R-{entry.request_id}" if entry.request_id else ""
        details = escape(json.dumps(entry.details, sort_keys=True))[:160]
        lines.append(f"`{entry.at}` {entry.action}{request} by {_actor(entry.actor)} {details}")
    return f"*Audit, last {days} days (newest first)*\n" + "\n".join(lines)


def _actor(actor: str) -> str:
    return f"<@{actor}>" if actor[:1] in {"U", "W"} else actor
