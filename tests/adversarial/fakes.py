"""In-process stand-ins for the two ports (services/ports.py), with switchable faults."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aws.errors import AwsError
from domain.jobs import JobKind
from domain.requests import AccessRequest, Grant


class SlackDown(Exception):
    """What a Slack call raises when a fault was injected; the Background guard catches it."""


@dataclass(frozen=True)
class FakeCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime


@dataclass(frozen=True)
class Assumed:
    """One AssumeRole call: when, for how long, and the end the session policy carried."""

    issued_at: datetime
    request_id: int
    duration_seconds: int
    ends_at: datetime
    source_identity: str
    secret: str


@dataclass(frozen=True)
class Deny:
    role_arn: str
    source_identity: str
    issued_before: datetime
    policy_name: str


class Crash(BaseException):
    """The process dies here: no `except Exception` runs, open transactions roll back."""


class Faults:
    """Names of calls that fail once, the next time they are made; or crash the process."""

    def __init__(self) -> None:
        self.armed: set[str] = set()
        self.crashes: set[str] = set()

    def arm(self, name: str) -> None:
        self.armed.add(name)

    def arm_crash(self, name: str) -> None:
        self.crashes.add(name)

    def crash_here(self, name: str) -> None:
        if name in self.crashes:
            self.crashes.discard(name)
            raise Crash(name)

    def fire(self, name: str) -> bool:
        self.crash_here(name)
        if name in self.armed:
            self.armed.discard(name)
            return True
        return False


@dataclass
class FakeAws:
    """An AwsPort that hands out random credentials and keeps the revoke denies it holds."""

    clock: Callable[[], datetime]
    faults: Faults = field(default_factory=Faults)
    assumed: list[Assumed] = field(default_factory=list)
    denies: dict[str, Deny] = field(default_factory=dict)
    denies_ever: list[Deny] = field(default_factory=list)
    max_seconds: int = 43200

    def _check(self, name: str) -> None:
        if self.faults.fire(name):
            raise AwsError(f"AWS refused {name}: injected fault", "ServiceFailure")

    def role_max_seconds(self, role_arn: str) -> int | None:
        self._check("get_role")
        return self.max_seconds

    def role_chaining(self) -> bool:
        return False

    def session_identity(self, requester: str, email: str | None,
                         request_id: int) -> tuple[str, str]:
        return email or requester, f"gatehouse-{requester}-R{request_id}"

    def assume(self, *, role_arn: str, duration_seconds: int, source_identity: str,
               session_name: str, request_id: int, requester: str, role: str,
               source_ips: list[str], ends_at: datetime) -> FakeCredentials:
        self._check("assume")
        now = self.clock()
        secret = secrets.token_urlsafe(30)
        self.assumed.append(Assumed(now, request_id, duration_seconds, ends_at, source_identity,
                                    secret))
        return FakeCredentials("ASIA" + secrets.token_hex(8).upper(), secret,
                               "FQoG" + secrets.token_urlsafe(60),
                               now + timedelta(seconds=duration_seconds))

    def console_url(self, credentials: FakeCredentials, duration_seconds: int) -> str | None:
        self._check("console")
        return f"https://signin.example/federation?SigninToken={secrets.token_urlsafe(20)}"

    def put_revoke_deny(self, *, role_arn: str, source_identity: str,
                        issued_before: datetime) -> Deny:
        """One deny per (role, SourceIdentity); its cut-off only ever moves later, as on AWS."""
        self._check("deny")
        name = f"gatehouse-revoke-{role_arn}-{source_identity}"
        held = self.denies.get(name)
        if held is not None and held.issued_before > issued_before:
            issued_before = held.issued_before
        deny = Deny(role_arn, source_identity, issued_before, name)
        self.denies[name] = deny
        self.denies_ever.append(deny)
        return deny

    def remove_revoke_deny(self, *, role_arn: str, policy_name: str,
                           issued_before: datetime | None = None) -> bool:
        self._check("remove_deny")
        held = self.denies.get(policy_name)
        if held is None or (issued_before is not None and held.issued_before > issued_before):
            return False
        return self.denies.pop(policy_name, None) is not None


@dataclass
class FakeSlack:
    """A SlackPort that keeps each DM's current text, so scrubbing can be checked."""

    faults: Faults = field(default_factory=Faults)
    dms: dict[str, str] = field(default_factory=dict)
    posted: list[tuple[str, str]] = field(default_factory=list)
    delivered: set[str] = field(default_factory=set)
    _ts: Any = field(default_factory=lambda: itertools.count(1))

    def _check(self, name: str) -> None:
        if self.faults.fire(name):
            raise SlackDown(f"Slack refused {name}: injected fault")

    def _new_ts(self) -> str:
        return f"{next(self._ts)}.000100"

    def post_request(self, request: AccessRequest, channel: str, approvers: list[str]) -> str:
        self._check("post_request")
        ts = self._new_ts()
        self.posted.append((channel, f"{request.label} {request.reason}"))
        return ts

    def refresh_request(self, request: AccessRequest, approvals: list[str]) -> None:
        """Quiet in the real notifier: a failure is logged, never raised."""

    def thread(self, request: AccessRequest, text: str) -> None:
        self.posted.append((request.channel or "", text))

    def dm(self, user: str, text: str,
           blocks: list[dict[str, Any]] | None = None) -> tuple[str, str]:
        self._check("dm")
        ts = self._new_ts()
        self.dms[ts] = text
        return f"D{user}", ts

    def dm_credentials(self, request: AccessRequest, grant: Grant, credentials: Any,
                       console_url: str | None, note: str | None) -> tuple[str, str]:
        self._check("dm_credentials")
        text = f"SECRET {credentials.secret_access_key} {console_url}"
        self.delivered.add(credentials.secret_access_key)
        if grant.dm_channel and grant.dm_ts:
            self.dms[grant.dm_ts] = text
            return grant.dm_channel, grant.dm_ts
        ts = self._new_ts()
        self.dms[ts] = text
        return f"D{grant.requester}", ts

    def scrub_credentials(self, grant: Grant, request: AccessRequest, ended: str) -> None:
        self._check("scrub")
        self.dms[grant.dm_ts] = f"{request.label}: access {ended}"

    def warn_expiry(self, grant: Grant, request: AccessRequest) -> tuple[str, str]:
        return self.dm(grant.requester, f"{request.label} ends soon")

    def settle_expiry_warning(self, grant: Grant, text: str) -> None:
        self._check("settle_warning")
        self.dms[grant.warning_ts or ""] = text

    def remind(self, request: AccessRequest, approvers: list[str]) -> None:
        self.thread(request, "reminder")

    def announce(self, channel: str, text: str) -> None:
        self.posted.append((channel, text))

    def review_prompt(self, request: AccessRequest, text: str) -> tuple[str, str]:
        self.posted.append((request.channel or "", text))
        return request.channel or "", self._new_ts()

    def settle_review(self, channel: str, ts: str, text: str) -> None:
        self.posted.append((channel, text))

    def user_email(self, user: str) -> str | None:
        return f"{user.lower()}@example.com"

    def group_members(self, group: str, fresh: bool = False) -> list[str]:
        return []

    def group_handles(self) -> dict[str, str]:
        return {}

    def home_changed(self, users: set[str]) -> None:
        """No App Home here."""


def access_job_table(access: Any) -> dict[JobKind, Callable[..., None]]:
    """The access flow's part of `wiring.job_table`, for tests that build no key rotation."""
    return {kind: getattr(access, kind.value) for kind in JobKind if hasattr(access, kind.value)}


class SettableClock:
    """A clock the test sets or moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class AccessParts:
    """The access services on a real SQLite file with in-memory Slack and AWS."""

    gh: Any
    requests: Any
    jobs: Any
    slack: FakeSlack
    aws: FakeAws
    clock: SettableClock
    store: Any


def access_parts(path: Any, config: Any, start: datetime) -> AccessParts:
    """Build the access flow as the wiring would, minus HTTP and key rotation."""
    from services.gatehouse import Gatehouse
    from storage.audit import AuditLog
    from storage.break_glass import BreakGlassRepository
    from storage.database import open_store
    from storage.jobs import JobQueue
    from storage.repository import Repository

    store = open_store(path)
    audit = AuditLog(store)
    requests, jobs = Repository(store, audit), JobQueue(store)
    clock, slack = SettableClock(start), FakeSlack()
    aws = FakeAws(clock)
    gh = Gatehouse.build(config=config, requests=requests, jobs=jobs, audit=audit, uow=store,
                         slack=slack, aws=aws, clock=clock, job_table=access_job_table,
                         break_glass=BreakGlassRepository(store))
    return AccessParts(gh, requests, jobs, slack, aws, clock, store)
