"""The daily digest as data: what is open, new, resolved or accepted, and who owns each finding."""

from __future__ import annotations

import hashlib
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from domain.hygiene.cloudtrail import BASELINE_DAYS as BASELINE_DAYS  # for the digest service
from domain.hygiene.cloudtrail import DENIED_ERROR_CODES, actor_of
from domain.hygiene.findings import Finding, Severity
from domain.hygiene.model import TRAIL_WINDOW, AccountSnapshot

TREND_DAYS = 30
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
KEY_FIX_CHECKS = frozenset({"user.unused_credential", "user.access_key_too_old"})
KEY_SLOTS = {"access_key_1": 1, "access_key_2": 2}


def finding_id(key: str) -> str:
    """A short, stable id for a finding key, small enough for a button's value."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class StoredFinding:
    """A finding as an earlier digest recorded it."""

    key: str
    check_id: str
    severity: Severity
    title: str
    acknowledged: bool = False

    @property
    def fid(self) -> str:
        return finding_id(self.key)


@dataclass(frozen=True)
class PreviousDigest:
    created_at: datetime
    findings: tuple[StoredFinding, ...]

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(f.key for f in self.findings)


@dataclass(frozen=True)
class Acknowledgement:
    """An admin accepted a finding until `until` (a date in the config timezone, inclusive)."""

    key: str
    until: date
    by: str
    at: datetime
    note: str = ""

    def hides_on(self, day: date) -> bool:
        return day <= self.until


IAM_USER_NAME = re.compile(r"^[\w+=,.@-]{1,64}$", re.ASCII)


@dataclass(frozen=True)
class Fix:
    """A safe fix offered as a button: deactivate a key (by slot) or remove a console password.

    The button names only the stored finding (and the key's creation time the digest saw, a
    guard that can only refuse); the user and slot are read from the stored finding on click.
    """

    kind: str
    user: str
    slot: int = 0
    key_created: datetime | None = None
    fid: str = ""

    @property
    def button_value(self) -> str:
        if self.kind != "deactivate_key":
            return self.fid
        stamp = str(int(self.key_created.timestamp())) if self.key_created else ""
        return f"{self.fid}|{stamp}"


def fix_kind(check_id: str, subject: str) -> str | None:
    """Which one-click fix a finding of `check_id` about `subject` allows, if any."""
    if check_id == "user.console_without_mfa" or (
            check_id == "user.unused_credential" and subject == "password"):
        return "remove_password"
    if check_id in KEY_FIX_CHECKS and subject in KEY_SLOTS:
        return "deactivate_key"
    return None


def button_finding(value: str) -> tuple[str, datetime | None]:
    """(finding id, key creation time) from a fix button; ValueError if not one we wrote."""
    fid, _, stamp = str(value).partition("|")
    if not re.fullmatch(r"[0-9a-f]{16}", fid) or not (stamp.isdigit() or not stamp):
        raise ValueError("not a finding id")
    return fid, datetime.fromtimestamp(int(stamp), UTC) if stamp else None


def stored_fix(stored: StoredFinding, kind: str, created: datetime | None = None) -> Fix:
    """The fix a stored finding allows, read from its key; ValueError when it allows no `kind`."""
    check_id, _, rest = stored.key.partition("|")
    who, _, subject = rest.partition("|")
    user = who.rsplit(":user/", 1)[-1].rsplit("/", 1)[-1] if ":user/" in who else ""
    if fix_kind(check_id, subject) != kind or not IAM_USER_NAME.match(user) or "+" in who:
        raise ValueError("the finding offers no such fix")
    return Fix(kind, user, KEY_SLOTS.get(subject, 0), created if kind == "deactivate_key"
               else None, stored.fid)


@dataclass(frozen=True)
class GatehouseActivity:
    """Gatehouse's own work over the last 24 h, and what stands now."""
    requests: int = 0
    approvals: int = 0
    denials: int = 0
    grants: int = 0
    median_approval_seconds: float | None = None
    active_grants: int = 0
    pending: int = 0
    unreviewed_break_glass: tuple[str, ...] = ()  # break-glass uses nobody has reviewed yet


@dataclass(frozen=True)
class TrendPoint:
    day: date
    open: int | None


@dataclass(frozen=True)
class Digest:
    """One digest: visible findings, the changes since the previous one and how fresh it is."""

    now: datetime
    day: date
    account_id: str | None
    findings: tuple[Finding, ...]
    acknowledged: tuple[tuple[Finding, Acknowledgement], ...] = ()
    previous_at: datetime | None = None
    new_keys: frozenset[str] = frozenset()
    resolved: tuple[StoredFinding, ...] = ()
    unchecked: tuple[StoredFinding, ...] = ()
    owners: Mapping[str, str] = field(default_factory=dict)
    fixes: Mapping[str, Fix] = field(default_factory=dict)
    activity: GatehouseActivity | None = None
    trend: tuple[TrendPoint, ...] = ()
    report_generated: datetime | None = None
    events_read: bool = False
    event_count: int = 0
    missing: tuple[str, ...] = ()
    denied_counts: Mapping[str, int] = field(default_factory=dict)
    unread: tuple[str, ...] = ()  # the names of the sources in `missing`
    nothing_read: bool = False  # every source failed: this digest checked nothing

    @property
    def by_severity(self) -> dict[Severity, int]:
        counts = Counter(f.severity for f in self.findings)
        return {severity: counts.get(severity, 0) for severity in Severity}

    @property
    def new_count(self) -> int:
        return sum(1 for f in self.findings if f.key in self.new_keys)

    @property
    def still_open_count(self) -> int:
        return len(self.findings) - self.new_count

    def is_new(self, finding: Finding) -> bool:
        return finding.key in self.new_keys


def check_was_run(check_id: str, snapshot: AccountSnapshot) -> bool:
    """Whether the data this check reads was collected, so its silence means 'resolved'."""
    report, authorization = snapshot.credential_report, snapshot.authorization
    if check_id.startswith("trail."):
        return snapshot.events_read
    if check_id == "password_policy.hard_expiry_lockout":
        return snapshot.password_policy_read and authorization is not None
    if check_id.startswith("password_policy."):
        return snapshot.password_policy_read
    if check_id == "iam.admin_without_mfa":
        return report is not None and authorization is not None
    if check_id == "iam.virtual_mfa":
        return snapshot.virtual_mfa_arns is not None and authorization is not None
    if check_id == "iam.unused_permissions":
        return snapshot.last_accessed is not None and authorization is not None
    if check_id in ("root.mfa_disabled", "root.access_keys"):
        return report is not None or snapshot.summary is not None
    if check_id.startswith(("iam.", "role.", "policy.")) or check_id == "user.direct_policy":
        return authorization is not None
    if check_id.startswith(("root.", "user.")):
        return report is not None
    return True


def nothing_read(snapshot: AccountSnapshot) -> bool:
    """No source could be read, so the absence of findings means nothing."""
    sources = (snapshot.credential_report, snapshot.authorization, snapshot.summary,
               snapshot.virtual_mfa_arns, snapshot.password_policy_read or None,
               snapshot.events_read or None)
    return all(source is None for source in sources)


def owner_of(finding: Finding, snapshot: AccountSnapshot, tag: str) -> str | None:
    """The Slack user id in the finding's IAM user's `tag`, when it looks like one."""
    if not finding.iam_user_name:
        return None
    value = str(snapshot.user_tags(finding.iam_user_name).get(tag, "")).strip()
    return value if SLACK_USER_ID.match(value) else None


def fix_for(finding: Finding, snapshot: AccountSnapshot) -> Fix | None:
    """The one-click fix a finding allows, if any."""
    user, kind = finding.iam_user_name, fix_kind(finding.check_id, finding.subject)
    if not user or kind is None:
        return None
    if kind == "remove_password":
        return Fix(kind, user, fid=finding_id(finding.key))
    slot, report = KEY_SLOTS[finding.subject], snapshot.credential_report
    row = next((r for r in report.users if r.user == user), None) if report else None
    created = row.access_keys()[slot - 1].key.created if row else None
    return Fix(kind, user, slot, created, finding_id(finding.key))


def split_acknowledged(
    findings: Iterable[Finding], acks: Mapping[str, Acknowledgement], day: date
) -> tuple[list[Finding], list[tuple[Finding, Acknowledgement]]]:
    """(visible, hidden): a finding stays hidden through its acknowledgement's date."""
    visible, hidden = [], []
    for finding in findings:
        ack = acks.get(finding.key)
        if ack is not None and ack.hides_on(day):
            hidden.append((finding, ack))
        else:
            visible.append(finding)
    return visible, hidden


def denied_counts(snapshot: AccountSnapshot, now: datetime) -> dict[str, int]:
    """AccessDenied events per principal over the last 24 h; stored for tomorrow's baseline."""
    if not snapshot.events_read:
        return {}
    start = now - TRAIL_WINDOW
    counts = Counter(actor_of(e) for e in snapshot.events
                     if start <= e.time <= now and e.error_code in DENIED_ERROR_CODES)
    return dict(counts)


def denied_baseline(history: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Sum of daily AccessDenied counts per principal (one mapping per earlier day)."""
    total: Counter[str] = Counter()
    for day in history:
        total.update(day)
    return dict(total)


def trend_points(history: Mapping[date, int], today: date, today_open: int,
                 days: int = TREND_DAYS) -> tuple[TrendPoint, ...]:
    """One point per day over `days` days ending today; None where no digest was kept."""
    counts = {**history, today: today_open}
    first = today - timedelta(days=days - 1)
    return tuple(TrendPoint(first + timedelta(days=n), counts.get(first + timedelta(days=n)))
                 for n in range(days))


def median_seconds(waits: Iterable[float]) -> float | None:
    values = list(waits)
    return statistics.median(values) if values else None


@dataclass(frozen=True)
class DigestInputs:
    """What a digest is assembled from, besides the snapshot and the findings."""

    now: datetime
    day: date
    owner_tag: str
    previous: PreviousDigest | None = None
    acks: Mapping[str, Acknowledgement] = field(default_factory=dict)
    activity: GatehouseActivity | None = None
    trend_history: Mapping[date, int] = field(default_factory=dict)


def assemble(snapshot: AccountSnapshot, findings: list[Finding], inputs: DigestInputs) -> Digest:
    """Compare with the previous digest, hide accepted findings, name owners and fixes."""
    visible, hidden = split_acknowledged(findings, inputs.acks, inputs.day)
    previous = inputs.previous
    current_keys = {f.key for f in findings}
    gone = [f for f in previous.findings if f.key not in current_keys] if previous else []
    return Digest(
        now=inputs.now, day=inputs.day, account_id=snapshot.account_id,
        findings=tuple(visible), acknowledged=tuple(hidden),
        previous_at=previous.created_at if previous else None,
        new_keys=frozenset(f.key for f in visible
                           if previous is None or f.key not in previous.keys),
        resolved=tuple(f for f in gone if check_was_run(f.check_id, snapshot)),
        unchecked=tuple(f for f in gone if not check_was_run(f.check_id, snapshot)),
        owners={f.key: o for f in findings if (o := owner_of(f, snapshot, inputs.owner_tag))},
        fixes={f.key: fix for f in findings if (fix := fix_for(f, snapshot))},
        activity=inputs.activity,
        trend=trend_points(inputs.trend_history, inputs.day, len(visible)),
        report_generated=(snapshot.credential_report.generated_time
                          if snapshot.credential_report else None),
        events_read=snapshot.events_read, event_count=len(snapshot.events),
        missing=tuple(str(m) for m in snapshot.missing),
        denied_counts=denied_counts(snapshot, inputs.now),
        unread=tuple(dict.fromkeys(m.source for m in snapshot.missing)),
        nothing_read=not findings and bool(snapshot.missing) and nothing_read(snapshot),
    )
