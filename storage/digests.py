"""Stored digests, their findings, acknowledgements and the day each daily digest was posted."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain.break_glass import digest_line
from domain.digest import (
    Acknowledgement,
    Digest,
    GatehouseActivity,
    PreviousDigest,
    StoredFinding,
    finding_id,
    median_seconds,
)
from domain.hygiene import Severity
from domain.org_digest import OrgDigest
from storage.break_glass import BreakGlassRepository
from storage.database import Store, from_iso, to_iso

AUTOMATIC_ACTOR = "gatehouse"  # who approves automatically; not a person's wait to measure


@dataclass(frozen=True)
class DigestRecord:
    """A stored digest's headline, enough for the App Home and the once-a-day check."""

    id: int
    created_at: datetime
    day: date
    trigger: str
    channel: str | None
    message_ts: str | None
    open_count: int
    summary: dict[str, Any]


def _record(row: dict[str, Any]) -> DigestRecord:
    return DigestRecord(row["id"], from_iso(row["created_at"]), date.fromisoformat(row["day"]),
                        row["trigger"], row["channel"], row["message_ts"], row["open_count"],
                        json.loads(row["summary"]))


def _stored(row: dict[str, Any]) -> StoredFinding:
    return StoredFinding(row["key"], row["check_id"], Severity(row["severity"]), row["title"],
                         bool(row["acknowledged"]))


class DigestStore:
    """The only place that reads or writes the digest tables."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # --- digests --------------------------------------------------------------------------

    def save(self, digest: Digest | OrgDigest, *, trigger: str,
             summary: Mapping[str, Any]) -> int:
        """Keep a digest and every finding it saw, acknowledged or not, by key (an org digest's
        keys start with their account's id; its rows per account are in `summary`)."""
        with self.store.transaction():
            digest_id = self.store.insert("digests", {
                "created_at": to_iso(digest.now), "day": digest.day.isoformat(),
                "account_id": digest.account_id or "", "trigger": trigger,
                "open_count": len(digest.findings), "nothing_read": int(digest.nothing_read),
                "summary": json.dumps(summary, sort_keys=True),
                "denied": json.dumps(dict(digest.denied_counts), sort_keys=True)})
            seen = [(f, False) for f in digest.findings]
            seen += [(f, True) for f, _ in digest.acknowledged]
            self.store.insert_all("digest_findings", (
                {"digest_id": digest_id, "fid": finding_id(f.key), "key": f.key,
                 "check_id": f.check_id, "severity": f.severity.value, "title": f.title,
                 "acknowledged": int(hidden)} for f, hidden in seen), ignore=True)
            self.store.insert_all("digest_findings", (  # an org's unreachable accounts
                {"digest_id": digest_id, "fid": f.fid, "key": f.key, "check_id": f.check_id,
                 "severity": f.severity.value, "title": f.title,
                 "acknowledged": int(f.acknowledged)}
                for f in (digest.carried if isinstance(digest, OrgDigest) else ())), ignore=True)
        return digest_id

    def set_message(self, digest_id: int, channel: str, ts: str) -> None:
        self.store.update("digests", digest_id, {"channel": channel, "message_ts": ts})

    def latest(self, *, posted: bool = False) -> DigestRecord | None:
        where = "message_ts IS NOT NULL" if posted else None
        row = self.store.first("digests", where, order_by="id DESC")
        return _record(row) if row else None

    def previous(self, before: datetime) -> PreviousDigest | None:
        """The last digest posted before `before`, with its findings."""
        row = self.store.first(
            "digests", "created_at <= ? AND message_ts IS NOT NULL AND nothing_read = 0",
            [to_iso(before)], order_by="id DESC")
        if row is None:
            return None
        rows = self.store.rows("digest_findings", "digest_id = ?", [row["id"]], order_by="key")
        return PreviousDigest(from_iso(row["created_at"]), tuple(_stored(r) for r in rows))

    def _last_of_each_day(self, since: date, until: date) -> list[dict[str, Any]]:
        # SQL: a grouped join, one row per day, that rows_where cannot express.
        return self.store.query(
            "SELECT d.* FROM digests d JOIN (SELECT day, MAX(id) AS id FROM digests"
            " WHERE day >= ? AND day <= ? AND nothing_read = 0 GROUP BY day) last"
            " ON last.id = d.id ORDER BY d.day",
            (since.isoformat(), until.isoformat()))

    def open_counts(self, since: date, until: date) -> dict[date, int]:
        """Open findings of each day's last digest, for the trend."""
        return {date.fromisoformat(r["day"]): r["open_count"]
                for r in self._last_of_each_day(since, until)}

    def account_open_counts(self, since: date, until: date) -> dict[str, dict[date, int]]:
        """Each account's open findings in each day's last org digest, by account id."""
        counts: dict[str, dict[date, int]] = {}
        for row in self._last_of_each_day(since, until):
            for account in json.loads(row["summary"]).get("accounts", []):
                if not account.get("nothing_read"):
                    counts.setdefault(account["id"], {})[date.fromisoformat(row["day"])] = \
                        account["open"]
        return counts

    def denied_history(self, since: date, until: date) -> list[dict[str, int]]:
        """Each day's AccessDenied counts per principal, from its last digest."""
        return [json.loads(r["denied"]) for r in self._last_of_each_day(since, until)]

    def finding(self, fid: str) -> StoredFinding | None:
        row = self.store.first("digest_findings", "fid = ?", [fid], order_by="digest_id DESC")
        return _stored(row) if row else None

    # --- once a day -----------------------------------------------------------------------

    def claim_day(self, day: date, now: datetime) -> bool:
        """Take the day's daily digest for this run; False when it was already taken."""
        claim = {"day": day.isoformat(), "claimed_at": to_iso(now)}
        return self.store.insert("digest_days", claim, ignore=True) is not None

    def release_day(self, day: date) -> None:
        """Give the day back after a run that posted nothing, so a later run may post."""
        # SQL: guarded delete, a day already marked with its digest stays taken.
        self.store.execute("DELETE FROM digest_days WHERE day=? AND digest_id IS NULL",
                           (day.isoformat(),))

    def mark_day(self, day: date, digest_id: int) -> None:
        self.store.update("digest_days", day.isoformat(), {"digest_id": digest_id})

    def posted_on(self, day: date) -> bool:
        return self.store.first("digest_days", "day = ?", [day.isoformat()]) is not None

    # --- acknowledgements -----------------------------------------------------------------

    def acknowledge(self, ack: Acknowledgement) -> None:
        self.store.upsert("finding_acks", {"key": ack.key, "until": ack.until.isoformat(),
                                           "by": ack.by, "at": to_iso(ack.at), "note": ack.note},
                          pk="key")

    def acknowledgements(self) -> dict[str, Acknowledgement]:
        return {r["key"]: Acknowledgement(r["key"], date.fromisoformat(r["until"]), r["by"],
                                          from_iso(r["at"]), r["note"])
                for r in self.store.rows("finding_acks")}

    # --- Gatehouse's own activity ---------------------------------------------------------

    def activity(self, since: datetime, now: datetime) -> GatehouseActivity:
        """Requests, decisions and grants in `since`..`now`; grants and requests open now."""
        # SQL: counts, a GROUP BY and a join over the audit log's (action, at) window.
        window = (to_iso(since), to_iso(now))
        actions = {r["action"]: r["n"] for r in self.store.query(
            "SELECT action, COUNT(*) AS n FROM audit WHERE at >= ? AND at <= ? AND action IN"
            " ('request.approved', 'request.denied', 'grant.activated') GROUP BY action", window)}
        waits = self.store.query(
            "SELECT r.created_at, a.at FROM audit a JOIN requests r ON r.id = a.request_id"
            " WHERE a.action = 'request.approved' AND a.actor != ? AND a.at >= ? AND a.at <= ?",
            (AUTOMATIC_ACTOR, *window))
        return GatehouseActivity(
            requests=self._count("requests WHERE created_at >= ? AND created_at <= ?", window),
            approvals=actions.get("request.approved", 0),
            denials=actions.get("request.denied", 0),
            grants=actions.get("grant.activated", 0),
            median_approval_seconds=median_seconds(
                (from_iso(w["at"]) - from_iso(w["created_at"])).total_seconds() for w in waits),
            active_grants=self._count(
                "grants WHERE ended_at IS NULL AND started_at <= ? AND ends_at > ?",
                (to_iso(now), to_iso(now))),
            pending=self._count("requests WHERE status = 'pending'", ()),
            unreviewed_break_glass=tuple(digest_line(use) for use in
                                         BreakGlassRepository(self.store).unreviewed()),
        )

    def _count(self, table_and_where: str, params: tuple[Any, ...]) -> int:
        row = self.store.query_one(f"SELECT COUNT(*) AS n FROM {table_and_where}", params)
        return row["n"] if row else 0
