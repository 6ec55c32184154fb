"""(5) The audit log at a million entries: `/access audit` queries and `audit verify`."""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.common import ROOT, Section, ms

ACTIONS = ["request.created", "request.vote", "request.approved", "grant.activated",
           "grant.expired", "grant.revoked", "request.denied", "request.cancelled",
           "request.reminded", "grant.deny_attached", "key.rotated", "digest.posted"]
USERS = [f"U0USER{n:04d}" for n in range(500)]
ROLES = [f"role-{n:02d}" for n in range(20)]
RARE_USER = "U0RARE0001"
BATCH = 50_000


def entries(count: int, end: datetime):
    """(id, at, actor, action, request_id, role, subject, details) a year's worth, in order."""
    rng = random.Random(5)
    step = timedelta(days=365) / count
    start = end - timedelta(days=365)
    for n in range(1, count + 1):
        subject = RARE_USER if n in (count // 3, count // 2) else rng.choice(USERS)
        actor = subject if rng.random() < 0.6 else rng.choice(USERS[:20])
        details = {"kind": "access", "duration_seconds": 3600, "reason": f"ticket {n}"}
        yield (n, (start + step * n).strftime("%Y-%m-%dT%H:%M:%SZ"), actor, rng.choice(ACTIONS),
               n // 4 + 1, rng.choice(ROLES), subject, details)


def write(path: Path, count: int, end: datetime) -> float:
    """Insert `count` entries with a correct hash chain, in batches; return the seconds."""
    from storage.audit import GENESIS, entry_hash
    from storage.database import open_store

    open_store(path).close()  # the schema, by the bot's own migrations
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    started, prev, rows = time.perf_counter(), GENESIS, []
    for entry_id, at, actor, action, request_id, role, subject, details in entries(count, end):
        body = {"id": entry_id, "at": at, "actor": actor, "action": action,
                "request_id": request_id, "role": role, "subject": subject, "details": details}
        digest = entry_hash(prev, body)
        rows.append((entry_id, at, actor, action, request_id, role, subject,
                     json.dumps(details, sort_keys=True), prev, digest))
        prev = digest
        if len(rows) == BATCH:
            insert(conn, rows)
            rows = []
    insert(conn, rows)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return time.perf_counter() - started


def insert(conn: sqlite3.Connection, rows: list[tuple]) -> None:
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO audit (id, at, actor, action, request_id, role, subject,"
                     " details, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    conn.execute("COMMIT")


def query_times(path: Path, end: datetime) -> list[tuple[str, float, int]]:
    """Median of 7 runs of each `/access audit` query, through AuditLog.recent."""
    from storage.audit import AuditLog
    from storage.database import open_store

    store = open_store(path)
    audit = AuditLog(store)
    cases = [("`/access audit` (7 days)", {}, 7),
             ("`/access audit @user` (7 days)", {"subject": USERS[7]}, 7),
             ("`/access audit role-03` (7 days)", {"role": "role-03"}, 7),
             ("`/access audit @user 365` (a rarely seen user)", {"subject": RARE_USER}, 365),
             ("`/access audit role-03 365`", {"role": "role-03"}, 365)]
    results = []
    for label, filters, days in cases:
        times, found = [], 0
        for _ in range(7):
            started = time.perf_counter()
            found = len(audit.recent(since=end - timedelta(days=days), **filters))
            times.append(time.perf_counter() - started)
        results.append((label, statistics.median(times), found))
    store.close()
    return results


def verify(path: Path) -> tuple[float, str]:
    env = {**os.environ, "GATEHOUSE_DB": str(path), "SLACK_BOT_TOKEN": "xoxb-bench"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "bot.py", "audit", "verify"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    return time.perf_counter() - started, (done.stdout or done.stderr).strip()


def run(quick: bool = False) -> Section:
    count = 100_000 if quick else 1_000_000
    end = datetime.now(timezone.utc)
    folder = Path(tempfile.mkdtemp(prefix="gatehouse-audit-"))
    path = folder / "audit.db"
    written = write(path, count, end)
    size = sum(p.stat().st_size for p in folder.glob("audit.db*"))
    queries = query_times(path, end)
    verified, answer = verify(path)
    shutil.rmtree(folder, ignore_errors=True)
    section = Section(f"5. Audit log at {count:,} entries")
    section.add(f"{count:,} entries spread over a year (500 users, 20 roles) written straight "
                "into SQLite with a correct hash chain (`entry_hash`, batches of "
                f"{BATCH:,}): {written:.1f} s, {size / 1024 / 1024:.0f} MB on disk. Queries "
                "go through `AuditLog.recent` (what `/access audit` calls), median of 7.", "")
    section.table(["query", "time", "entries shown"],
                  [[label, ms(seconds), found] for label, seconds, found in queries])
    section.add(f"`python bot.py audit verify` over all of them: {verified:.1f} s, "
                f"answering `{answer}`.")
    return section
