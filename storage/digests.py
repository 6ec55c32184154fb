"""Stored digests, their findings, acknowledgements and the day each daily digest was posted."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

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

    def save(self, digest: Digest, *, trigger: str, summary: Mapping[str, Any]) -> int:
        """Keep a digest and every finding it saw, acknowledged or not, by key."""
        with self.store.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO digests (created_at, day, account_id, trigger, open_count, summary,"
                " denied) VALUES (?,?,?,?,?,?,?)",
                (to_iso(digest.now), digest.day.isoformat(), digest.account_id or "", trigger,
                 len(digest.findings), json.dumps(summary, sort_keys=True),
                 json.dumps(dict(digest.denied_counts), sort_keys=True)))
            digest_id = cursor.lastrowid
            rows = [(f, False) for f in digest.findings]
            rows += [(f, True) for f, _ in digest.acknowledged]
            conn.executemany(
                "INSERT OR IGNORE INTO digest_findings (digest_id, fid, key, check_id, severity,"
                " title, acknowledged) VALUES (?,?,?,?,?,?,?)",
                [(digest_id, finding_id(f.key), f.key, f.check_id, f.severity.value, f.title,
                  int(hidden)) for f, hidden in rows])
        return digest_id

    def set_message(self, digest_id: int, channel: str, ts: str) -> None:
        self.store.execute("UPDATE digests SET channel=?, message_ts=? WHERE id=?",
                           (channel, ts, digest_id))

    def latest(self, *, posted: bool = False) -> DigestRecord | None:
        where = "WHERE message_ts IS NOT NULL" if posted else ""
        row = self.store.query_one(f"SELECT * FROM digests {where} ORDER BY id DESC LIMIT 1")
        return _record(row) if row else None

    def previous(self, before: datetime) -> PreviousDigest | None:
        """The last digest posted before `before`, with its findings."""
        row = self.store.query_one(
            "SELECT id, created_at FROM digests WHERE created_at <= ? AND message_ts IS NOT NULL"
            " ORDER BY id DESC LIMIT 1", (to_iso(before),))
        if row is None:
            return None
        rows = self.store.query("SELECT * FROM digest_findings WHERE digest_id=? ORDER BY key",
                                (row["id"],))
        return PreviousDigest(from_iso(row["created_at"]), tuple(_stored(r) for r in rows))

    def _last_of_each_day(self, since: date, until: date) -> list[dict[str, Any]]:
        return self.store.query(
            "SELECT d.* FROM digests d JOIN (SELECT day, MAX(id) AS id FROM digests"
            " WHERE day >= ? AND day <= ? GROUP BY day) last ON last.id = d.id ORDER BY d.day",
            (since.isoformat(), until.isoformat()))

    def open_counts(self, since: date, until: date) -> dict[date, int]:
        """Open findings of each day's last digest, for the trend."""
        return {date.fromisoformat(r["day"]): r["open_count"]
                for r in self._last_of_each_day(since, until)}

    def denied_history(self, since: date, until: date) -> list[dict[str, int]]:
        """Each day's AccessDenied counts per principal, from its last digest."""
        return [json.loads(r["denied"]) for r in self._last_of_each_day(since, until)]

    def finding(self, fid: str) -> StoredFinding | None:
        row = self.store.query_one(
            "SELECT * FROM digest_findings WHERE fid=? ORDER BY digest_id DESC LIMIT 1", (fid,))
        return _stored(row) if row else None

    # --- once a day -----------------------------------------------------------------------

    def claim_day(self, day: date, now: datetime) -> bool:
        """Take the day's daily digest for this run; False when it was already taken."""
        cursor = self.store.execute(
            "INSERT OR IGNORE INTO digest_days (day, claimed_at) VALUES (?, ?)",
            (day.isoformat(), to_iso(now)))
        return cursor.rowcount == 1

    def release_day(self, day: date) -> None:
        """Give the day back after a run that posted nothing, so a later run may post."""
        self.store.execute("DELETE FROM digest_days WHERE day=? AND digest_id IS NULL",
                           (day.isoformat(),))

    def mark_day(self, day: date, digest_id: int) -> None:
        self.store.execute("UPDATE digest_days SET digest_id=? WHERE day=?",
                           (digest_id, day.isoformat()))

    def posted_on(self, day: date) -> bool:
        return self.store.query_one("SELECT 1 AS x FROM digest_days WHERE day=?",
                                    (day.isoformat(),)) is not None

    # --- acknowledgements -----------------------------------------------------------------

    def acknowledge(self, ack: Acknowledgement) -> None:
        self.store.execute(
            "INSERT INTO finding_acks (key, until, by, at, note) VALUES (?,?,?,?,?)"
            " ON CONFLICT (key) DO UPDATE SET until=excluded.until, by=excluded.by,"
            " at=excluded.at, note=excluded.note",
            (ack.key, ack.until.isoformat(), ack.by, to_iso(ack.at), ack.note))

    def acknowledgements(self) -> dict[str, Acknowledgement]:
        return {r["key"]: Acknowledgement(r["key"], date.fromisoformat(r["until"]), r["by"],
                                          from_iso(r["at"]), r["note"])
                for r in self.store.query("SELECT * FROM finding_acks")}

    # --- Gatehouse's own activity ---------------------------------------------------------

    def activity(self, since: datetime, now: datetime) -> GatehouseActivity:
        """Requests, decisions and grants in `since`..`now`; grants and requests open now."""
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
        )

    def _count(self, table_and_where: str, params: tuple[Any, ...]) -> int:
        row = self.store.query_one(f"SELECT COUNT(*) AS n FROM {table_and_where}", params)
        return row["n"] if row else 0
