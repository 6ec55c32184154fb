"""Build the hygiene digest: collect, check, compare with the stored one, keep, post once a day."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from config import Config
from domain.audit import SYSTEM
from domain.digest import (
    BASELINE_DAYS,
    TREND_DAYS,
    Digest,
    DigestInputs,
    assemble,
    denied_baseline,
)
from domain.errors import CloudError
from domain.hygiene import AccountSnapshot, MissingSource, Thresholds, run_checks
from domain.org_digest import OrgDigest
from services.digest_ports import (
    AccountData,
    AnyDigest,
    AuditTrail,
    CallerIdentity,
    DigestStore,
    PostedDigest,
    Publisher,
)
from services.org_digest import OrgDigestBuilder, org_summary

log = logging.getLogger("gatehouse.digest")
ACTIVITY_WINDOW = timedelta(hours=24)


def thresholds_from(config: Config) -> Thresholds:
    return config.digest.thresholds()


def role_grant_limits(config: Config) -> dict[str, int]:
    """Role ARN -> the longest grant configured for it, in seconds."""
    limits: dict[str, int] = {}
    for role in config.roles.values():
        limits[role.arn] = max(limits.get(role.arn, 0), role.max_duration)
    return limits


def gatehouse_arns(caller_arn: str, snapshot: AccountSnapshot) -> frozenset[str]:
    """Gatehouse's own principal; on role credentials also the role (its sessions' issuer)."""
    arns = {caller_arn}
    if ":assumed-role/" in caller_arn:
        account, role_name = caller_arn.split(":")[4], caller_arn.split("/")[1]
        arns.add(f"arn:aws:iam::{account}:role/{role_name}")
        roles = snapshot.authorization.roles if snapshot.authorization else ()
        arns |= {role.arn for role in roles if role.name == role_name}
    return frozenset(arns)


def local_day(config: Config, moment: datetime) -> date:
    return moment.astimezone(config.zone).date()


def summary_of(digest: AnyDigest) -> dict[str, Any]:
    """The headline kept with each digest, for the App Home (and the org's account rows)."""
    if isinstance(digest, OrgDigest):
        return org_summary(digest)
    return {"open": len(digest.findings), "new": digest.new_count,
            "resolved": len(digest.resolved), "still_open": digest.still_open_count,
            "acknowledged": len(digest.acknowledged), "missing": list(digest.missing),
            "nothing_read": digest.nothing_read,
            "by_severity": {s.value: n for s, n in digest.by_severity.items()}}


@dataclass
class DigestService:
    """The digest use cases: build from the account's data, keep, publish once a day.

    With `org` (accounts: or organization: configured) the digest posted covers every
    account of the organisation; `build` still reads Gatehouse's own account only.
    """

    config: Config
    store: DigestStore
    audit: AuditTrail
    source: AccountData
    publisher: Publisher | None = None
    org: OrgDigestBuilder | None = None
    _caller: CallerIdentity | None = field(default=None, repr=False)

    def build(self, now: datetime) -> tuple[Digest, AccountSnapshot]:
        """Collect and check everything now; nothing is kept."""
        caller, caller_problem = self._caller_identity()
        snapshot = self.source.snapshot(
            now, account_id=caller.account if caller else None,
            cloudtrail_bucket=self.config.digest.cloudtrail_bucket,
            service_last_accessed=self.config.digest.service_last_accessed)
        if caller_problem:
            snapshot = replace(snapshot, missing=(*snapshot.missing, MissingSource(
                "STS GetCallerIdentity", caller_problem)))
        day = local_day(self.config, now)
        findings = run_checks(
            snapshot, thresholds_from(self.config), now=now,
            role_grant_limits=role_grant_limits(self.config),
            gatehouse_principal_arns=gatehouse_arns(caller.arn, snapshot) if caller else (),
            denied_baseline=denied_baseline(self.store.denied_history(
                day - timedelta(days=BASELINE_DAYS), day - timedelta(days=1))))
        inputs = DigestInputs(
            now=now, day=day, owner_tag=self.config.identity.iam_user_tag,
            previous=self.store.previous(now), acks=self.store.acknowledgements(),
            activity=self.store.activity(now - ACTIVITY_WINDOW, now),
            trend_history=self.store.open_counts(day - timedelta(days=TREND_DAYS), day))
        return assemble(snapshot, findings, inputs), snapshot

    def _caller_identity(self) -> tuple[CallerIdentity | None, str | None]:
        """Gatehouse's own identity (read once), or the reason it could not be read."""
        if self._caller is None:
            try:
                self._caller = self.source.caller_identity()
            except CloudError as error:
                log.warning("cannot read Gatehouse's own identity", extra={"error": str(error)})
                return None, f"{error.code}; IAM changes by Gatehouse itself may be listed"
        return self._caller, None

    def latest_posted(self) -> PostedDigest | None:
        """The last digest posted, for the App Home."""
        return self.store.latest(posted=True)

    def post(self, now: datetime, *, trigger: str, actor: str) -> tuple[AnyDigest, int]:
        """Build, keep and publish a digest; audited as digest.posted."""
        if self.publisher is None or not self.config.digest.channel:
            raise RuntimeError("the digest has no channel to post to")
        digest: AnyDigest = self.org.build(now) if self.org else self.build(now)[0]
        summary = summary_of(digest)
        digest_id = self.store.save(digest, trigger=trigger, summary=summary)
        channel, ts = self.publisher(digest, digest_id)
        self.store.set_message(digest_id, channel, ts)
        headline = {key: value for key, value in summary.items() if key != "accounts"}
        if "accounts" in summary:  # the audit names the accounts that could not be read
            headline["unreachable"] = [a["name"] for a in summary["accounts"] if a["nothing_read"]]
        self.audit.append(at=now, actor=actor, action="digest.posted", subject=channel,
                          details={"digest_id": digest_id, "trigger": trigger, "ts": ts,
                                   **headline})
        return digest, digest_id

    def post_daily(self, now: datetime) -> bool:
        """The daily digest: posted at most once per day in the config timezone."""
        if not self.config.digest.enabled:
            return False
        day = local_day(self.config, now)
        if not self.store.claim_day(day, now):
            return False
        try:
            _, digest_id = self.post(now, trigger="daily", actor=SYSTEM)
        except Exception:
            self.store.release_day(day)
            raise
        self.store.mark_day(day, digest_id)
        return True

    def catch_up(self, now: datetime) -> bool:
        """At start: post today's daily digest if its time has passed and it was not posted."""
        if not self.config.digest.enabled:
            return False
        local = now.astimezone(self.config.zone)
        if local.time() < self.config.digest.at or self.store.posted_on(local.date()):
            return False
        return self.post_daily(now)

