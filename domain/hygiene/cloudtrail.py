"""CloudTrail checks over the last 24 hours: root use, sign-ins, denials and IAM changes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from domain.hygiene.findings import CheckContext, Finding, Principal, Severity
from domain.hygiene.model import TRAIL_WINDOW, TrailEvent, time_span

DENIED_ERROR_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
    "Client.UnauthorizedOperation", "Client.AccessDenied",
})
IAM_EVENT_SOURCE = "iam.amazonaws.com"
READ_EVENT_PREFIXES = ("Get", "List", "Generate", "Simulate")
PRINCIPAL_KINDS = {"IAMUser": "user", "AssumedRole": "role", "Root": "root"}
BASELINE_DAYS = 7  # days of AccessDenied history a spike is measured against


def events_in_window(context: CheckContext) -> list[TrailEvent]:
    start = context.now - TRAIL_WINDOW
    return [event for event in context.snapshot.events if start <= event.time <= context.now]


def actor_of(event: TrailEvent) -> str:
    """Who acted; assumed-role sessions count under their role's ARN."""
    return event.session_issuer_arn or event.principal


def group_by_actor(events: Iterable[TrailEvent]) -> dict[str, list[TrailEvent]]:
    grouped: dict[str, list[TrailEvent]] = defaultdict(list)
    for event in events:
        grouped[actor_of(event)].append(event)
    return dict(grouped)


def _principal(actor: str, event: TrailEvent) -> Principal:
    kind = PRINCIPAL_KINDS.get(event.principal_type or "", (event.principal_type or "").lower())
    name = event.username or actor.rsplit("/", 1)[-1]
    if event.session_issuer_arn:
        name = event.session_issuer_arn.rsplit("/", 1)[-1]
    arn = event.session_issuer_arn or event.principal_arn or ""
    return Principal(kind or "unknown", "root" if kind == "root" else name, arn)


def _iam_user(event: TrailEvent) -> str | None:
    return event.username if event.principal_type == "IAMUser" else None


def _summary(events: list[TrailEvent]) -> str:
    """'3 events (CreateUser, DeleteRole) from 198.51.100.7, 14:02-14:40 UTC'."""
    names = ", ".join(sorted({e.event_name for e in events}))
    ips = ", ".join(sorted({e.source_ip for e in events if e.source_ip})) or "unknown IPs"
    first, last = min(e.time for e in events), max(e.time for e in events)
    return f"{len(events)} event(s) ({names}) from {ips}, {time_span(first, last)}"


def check_root_activity(context: CheckContext) -> list[Finding]:
    events = [e for e in events_in_window(context) if e.principal_type == "Root"]
    if not events:
        return []
    return [Finding(
        "trail.root_activity", Severity.CRITICAL, "The root user was active",
        (Principal("root", "root", context.account.arn),), f"Root: {_summary(events)}.",
        "Confirm with the account owners who used root and why; rotate the root password "
        "if nobody did.",
    )]


def _sign_ins(context: CheckContext, outcome: str) -> list[TrailEvent]:
    return [e for e in events_in_window(context)
            if e.event_name == "ConsoleLogin" and e.console_login_outcome == outcome]


def check_console_login_without_mfa(context: CheckContext) -> list[Finding]:
    events = [e for e in _sign_ins(context, "Success")
              if e.mfa_used is False and e.principal_type in ("IAMUser", "Root")]
    findings = []
    for actor, logins in group_by_actor(events).items():
        principal = _principal(actor, logins[0])
        findings.append(Finding(
            "trail.console_login_without_mfa", Severity.HIGH,
            f"{principal.name} signed in without MFA", (principal,),
            f"Console sign-ins without MFA: {_summary(logins)}.",
            f"Ask {principal.name} to enable MFA; require it with a policy denying actions "
            "when aws:MultiFactorAuthPresent is false.", iam_user_name=_iam_user(logins[0]),
        ))
    return findings


def check_failed_sign_ins(context: CheckContext) -> list[Finding]:
    findings = []
    for actor, failures in group_by_actor(_sign_ins(context, "Failure")).items():
        principal = _principal(actor, failures[0])
        findings.append(Finding(
            "trail.failed_sign_in", Severity.MEDIUM if len(failures) >= 5 else Severity.LOW,
            f"{len(failures)} failed sign-in(s) for {principal.name}", (principal,),
            f"Failed console sign-ins: {_summary(failures)}.",
            "Check with the user; if they did not try, reset the password and check the "
            "source IPs.", iam_user_name=_iam_user(failures[0]),
        ))
    return findings


def _denied_spike(context: CheckContext, actor: str, count: int) -> str | None:
    """Why `count` denials are unusual for `actor`, or None when they are not."""
    t = context.thresholds
    daily = context.denied_baseline.get(actor, 0) / BASELINE_DAYS
    if count < t.denied_spike_min_events or count <= t.denied_spike_factor * daily:
        return None
    return (f"{count} denied calls in 24 h against a {BASELINE_DAYS}-day average of "
            f"{daily:.1f} a day")


def check_access_denied_spikes(context: CheckContext) -> list[Finding]:
    denied = [e for e in events_in_window(context) if e.error_code in DENIED_ERROR_CODES]
    findings = []
    for actor, events in group_by_actor(denied).items():
        why = _denied_spike(context, actor, len(events))
        if why is None:
            continue
        principal = _principal(actor, events[0])
        findings.append(Finding(
            "trail.access_denied_spike", Severity.MEDIUM,
            f"Unusual AccessDenied errors for {principal.name}", (principal,),
            f"{why}: {_summary(events)}.",
            "Ask the owner what changed: a broken deployment, a missing permission, or "
            "someone probing with stolen credentials.", iam_user_name=_iam_user(events[0]),
        ))
    return findings


def is_iam_write(event: TrailEvent) -> bool:
    if event.event_source != IAM_EVENT_SOURCE or event.error_code:
        return False
    if event.read_only is not None:
        return not event.read_only
    return not event.event_name.startswith(READ_EVENT_PREFIXES)


def _by_gatehouse(context: CheckContext, event: TrailEvent) -> bool:
    arns = context.gatehouse_principal_arns
    return event.principal_arn in arns or event.session_issuer_arn in arns


def check_iam_changes_outside_gatehouse(context: CheckContext) -> list[Finding]:
    changes = [e for e in events_in_window(context)
               if is_iam_write(e) and not _by_gatehouse(context, e)]
    findings = []
    for actor, events in group_by_actor(changes).items():
        principal = _principal(actor, events[0])
        sessions = sorted({e.principal_arn for e in events if e.principal_arn})
        findings.append(Finding(
            "trail.iam_change_outside_gatehouse", Severity.HIGH,
            f"IAM changed by {principal.name} outside Gatehouse", (principal,),
            f"{_summary(events)}; as {', '.join(sessions) or actor}.",
            "Confirm each change with its author; make routine IAM changes through "
            "Gatehouse or infrastructure code.", iam_user_name=_iam_user(events[0]),
        ))
    return findings


TRAIL_CHECKS: tuple[Callable[[CheckContext], list[Finding]], ...] = (
    check_root_activity, check_console_login_without_mfa, check_failed_sign_ins,
    check_access_denied_spikes, check_iam_changes_outside_gatehouse,
)
