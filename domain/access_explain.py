"""`/access who-can <role>` and `policy explain <role>`: one role's rules in words."""

from __future__ import annotations

from collections.abc import Mapping

from domain.access_policy import AccessPolicy, GroupLookup, Principals
from domain.durations import format_duration


def explain(policy: AccessPolicy, lookup: GroupLookup,
            people: Mapping[str, str] | None = None) -> str:
    """The rules of `policy`, with groups resolved to their members as `lookup` read them.

    `people` maps user ids to names; a user without one is shown by id. The Slack command and
    the CLI pass the same arguments, so they show the same text.
    """
    names = people or {}
    title = f"*{policy.name}*" + (f": {policy.description}" if policy.description else "")
    lines = [
        f"Who can do what with {title}",
        f"• Who may request: {_requesters(policy, lookup, names)}",
        f"• Who approves: {_approvers(policy, lookup, names)}",
        f"• Approvals needed: {_approvals(policy)}",
        f"• Self-approval: {_self_approval(policy)}",
        f"• Auto-approval: {_auto_approval(policy)}",
        f"• Break-glass: {_break_glass(policy, lookup, names)}",
        f"• Hours: {_hours(policy)}",
        f"• Limits: {_limits(policy)}",
        f"• Ticket: {_ticket(policy)}",
    ]
    return "\n".join(lines)


def _person(user: str, names: Mapping[str, str]) -> str:
    name = names.get(user)
    return f"{name} ({user})" if name else user


def _people(users: frozenset[str] | set[str], names: Mapping[str, str]) -> str:
    return ", ".join(_person(u, names) for u in sorted(users))


def _group(group: str, lookup: GroupLookup, names: Mapping[str, str]) -> str:
    label = lookup.label(group)
    if group not in lookup.members:
        reason = lookup.unreadable.get(group, "not read")
        return f"{label}: its members could not be read ({reason}), so nobody counts from it now"
    members = lookup.members[group]
    return f"{label}: {_people(members, names)}" if members else f"{label}: no members"


def _principals(principals: Principals, lookup: GroupLookup, names: Mapping[str, str]) -> str:
    parts = [_group(g, lookup, names) for g in sorted(principals.groups)]
    if principals.users:
        parts.append(_people(principals.users, names))
    return "; ".join(parts)


def _requesters(policy: AccessPolicy, lookup: GroupLookup, names: Mapping[str, str]) -> str:
    if policy.requesters is None:
        return "anyone in the workspace"
    admins = f"; and Gatehouse admins ({_people(policy.admins, names)})" if policy.admins else ""
    return (_principals(policy.requesters, lookup, names) or "nobody") + admins


def _approvers(policy: AccessPolicy, lookup: GroupLookup, names: Mapping[str, str]) -> str:
    named = _principals(policy.approvers, lookup, names)
    admins = f"Gatehouse admins ({_people(policy.admins, names)})" if policy.admins else ""
    if named and admins:
        return f"{named}; and {admins}"
    return named or admins or "nobody"


def _approvals(policy: AccessPolicy) -> str:
    count = policy.approvals_required
    return "1 approver" if count == 1 else f"{count} distinct approvers"


def _self_approval(policy: AccessPolicy) -> str:
    if policy.allow_self_approval:
        return "allowed: an approver may approve their own request"
    return "not allowed: a requester cannot approve their own request"


def _auto_approval(policy: AccessPolicy) -> str:
    rule = policy.auto_approve
    if rule.always:
        return "every request is approved without a human (still audited)"
    if rule.on_call:
        schedules = ", ".join(rule.on_call)
        noun = "schedule" if len(rule.on_call) == 1 else "schedules"
        return (f"approved without a human when the requester (matched by Slack e-mail) is on "
                f"call now in PagerDuty {noun} {schedules}; otherwise, or when PagerDuty cannot "
                f"be reached, the approvers decide")
    return "none: every request goes to the approvers"


def _break_glass(policy: AccessPolicy, lookup: GroupLookup, names: Mapping[str, str]) -> str:
    rule = policy.break_glass
    if rule is None:
        return "not available"
    where = "the approval channel" + (f" and {rule.channel}" if rule.channel else "")
    return (f"{_principals(rule.allowed, lookup, names) or 'nobody'} may use "
            f"`/access breakglass {policy.name} <duration> <reason>` for up to "
            f"{format_duration(rule.max_duration)}, at most {rule.max_per_week} a week each; "
            f"granted at once, announced in {where}, and reviewed afterwards by the approvers")


def _hours(policy: AccessPolicy) -> str:
    if policy.hours is None:
        return "any time"
    start, end = policy.hours
    return (f"granted only between {start:%H:%M} and {end:%H:%M} ({policy.timezone}); "
            f"a grant ends at {end:%H:%M} at the latest")


def _limits(policy: AccessPolicy) -> str:
    text = f"up to {format_duration(policy.max_duration)} a grant"
    if policy.max_total is not None:
        text += f"; {format_duration(policy.max_total)} in total with extensions (max_total)"
    return text


def _ticket(policy: AccessPolicy) -> str:
    if policy.require_ticket is None:
        return "none needed"
    text = f"the reason must contain a ticket matching `{policy.require_ticket}`"
    if policy.ticket_url:
        text += f", linked as {policy.ticket_url}"
    return text
