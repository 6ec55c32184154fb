"""What must hold whatever happened: read straight from the database the bot wrote."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

from domain.requests import TRANSITIONS, Status
from storage.database import from_iso

MOVE_ACTIONS = frozenset(action for moves in TRANSITIONS.values() for action in moves.values())

# A test-only table and trigger that record every change of a request's status.
STATUS_TRACE = [
    "CREATE TABLE IF NOT EXISTS status_trace (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " request_id INTEGER, old TEXT, new TEXT)",
    "CREATE TRIGGER IF NOT EXISTS status_trace_insert AFTER INSERT ON requests BEGIN"
    " INSERT INTO status_trace (request_id, old, new) VALUES (new.id, NULL, new.status); END",
    "CREATE TRIGGER IF NOT EXISTS status_trace_update AFTER UPDATE OF status ON requests BEGIN"
    " INSERT INTO status_trace (request_id, old, new) VALUES (new.id, old.status, new.status);"
    " END",
]


def connect(path: str | Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=10)
    conn.row_factory = sqlite3.Row
    return conn


def rows(conn: sqlite3.Connection, sql: str, params: tuple = ()) -> list[dict]:
    return [dict(row) for row in conn.execute(sql, params).fetchall()]


def illegal_moves(conn: sqlite3.Connection) -> list[str]:
    """Every status change in the trace must be a move TRANSITIONS allows, in a chain."""
    problems, current = [], {}
    for move in rows(conn, "SELECT * FROM status_trace ORDER BY seq"):
        number, old, new = move["request_id"], move["old"], move["new"]
        if old is None:
            if new != Status.PENDING.value:
                problems.append(f"R-{number} was created {new}")
        elif current.get(number) != old or Status(new) not in TRANSITIONS.get(Status(old), {}):
            problems.append(f"R-{number}: {old} -> {new} (was {current.get(number)})")
        current[number] = new
    return problems


def unaudited_moves(conn: sqlite3.Connection) -> list[str]:
    """Each request's audited status moves are exactly the moves it made, in order."""
    made, audited = defaultdict(list), defaultdict(list)
    for move in rows(conn, "SELECT * FROM status_trace WHERE old IS NOT NULL ORDER BY seq"):
        made[move["request_id"]].append(TRANSITIONS[Status(move["old"])][Status(move["new"])])
    for entry in rows(conn, "SELECT request_id, action FROM audit ORDER BY id"):
        if entry["action"] in MOVE_ACTIONS:
            audited[entry["request_id"]].append(entry["action"])
    return [f"R-{n}: moves {made[n]} audited {audited[n]}"
            for n in set(made) | set(audited) if made[n] != audited[n]]


def grant_problems(conn: sqlite3.Connection) -> list[str]:
    """At most one grant per request; an approved access request ends granted or failed (or
    cancelled before its scheduled start)."""
    problems = []
    counts = {r["request_id"]: r["n"] for r in rows(
        conn, "SELECT request_id, COUNT(*) AS n FROM grants GROUP BY request_id")}
    problems += [f"R-{n} has {c} grants" for n, c in counts.items() if c > 1]
    approved = {r["request_id"] for r in rows(
        conn, "SELECT request_id FROM audit WHERE action='request.approved'")}
    for request in rows(conn, "SELECT * FROM requests WHERE kind='access'"):
        if request["id"] not in approved:
            if counts.get(request["id"]):
                problems.append(f"R-{request['id']} has a grant but was never approved")
            continue
        waiting = request["status"] == "approved"  # its activation job is still to run
        # Cancelled after approval, before its scheduled start: never granted.
        called_off = request["status"] == "cancelled" and request.get("starts_at") and \
            not counts.get(request["id"])
        if counts.get(request["id"], 0) != 1 and request["status"] != "failed" and not (
                waiting or called_off):
            problems.append(f"R-{request['id']} is {request['status']} with "
                            f"{counts.get(request['id'], 0)} grants")
    return problems


def live_grant_problems(conn: sqlite3.Connection) -> list[str]:
    """A live grant belongs to active requests and has its expiry job waiting at its end."""
    problems = []
    for grant in rows(conn, "SELECT * FROM grants WHERE ended_at IS NULL"):
        owner = rows(conn, "SELECT status FROM requests WHERE id=?", (grant["request_id"],))
        if not owner or owner[0]["status"] != "active":
            problems.append(f"grant {grant['id']} is live but R-{grant['request_id']} is "
                            f"{owner[0]['status'] if owner else 'missing'}")
        jobs = rows(conn, "SELECT due_at FROM jobs WHERE action='expire_grant' AND key=?"
                    " AND done_at IS NULL", (f"grant:{grant['id']}",))
        if [job["due_at"] for job in jobs] != [grant["ends_at"]]:
            problems.append(f"grant {grant['id']} ends {grant['ends_at']} but its expiry "
                            f"jobs are {jobs}")
    for request in rows(conn, "SELECT * FROM requests WHERE status='active'"):
        grant = rows(conn, "SELECT ended_at FROM grants WHERE id=?", (request["grant_id"],))
        if not grant or grant[0]["ended_at"] is not None:
            problems.append(f"R-{request['id']} is active without a live grant")
    return problems


def stuck_approvals(conn: sqlite3.Connection) -> list[str]:
    """An approved request that is not yet granted still has its activation job waiting."""
    problems = []
    for request in rows(conn, "SELECT id FROM requests WHERE status='approved'"):
        jobs = rows(conn, "SELECT id FROM jobs WHERE action='activate' AND key=?"
                    " AND done_at IS NULL", (f"request:{request['id']}",))
        if not jobs:
            problems.append(f"R-{request['id']} is approved with no activation waiting")
    return problems


def overdue_live_grants(conn: sqlite3.Connection, now: datetime) -> list[str]:
    """After a sweep at `now`, no grant is live past its end."""
    return [f"grant {g['id']} ended {g['ends_at']} but is live at {now:%H:%M:%S}"
            for g in rows(conn, "SELECT * FROM grants WHERE ended_at IS NULL")
            if from_iso(g["ends_at"]) <= now]


def overlong_grants(conn: sqlite3.Connection) -> list[str]:
    """A grant ends no later than its request and its extensions allow; an extension applied
    after the grant's end would bring an ended grant back."""
    problems = []
    for grant in rows(conn, "SELECT * FROM grants"):
        first = rows(conn, "SELECT duration_seconds FROM requests WHERE id=?",
                     (grant["request_id"],))[0]
        bound = from_iso(grant["started_at"]) + timedelta(seconds=first["duration_seconds"])
        for extension in rows(
                conn, "SELECT r.id, r.duration_seconds, a.at FROM requests r JOIN audit a"
                " ON a.request_id = r.id AND a.action = 'grant.activated'"
                " WHERE r.kind='extend' AND r.grant_id=? ORDER BY a.id", (grant["id"],)):
            if from_iso(extension["at"]) >= bound:
                problems.append(f"R-{extension['id']} extended grant {grant['id']} at "
                                f"{extension['at']}, after its end {bound}")
            bound = max(from_iso(extension["at"]), bound) + timedelta(
                seconds=extension["duration_seconds"])
        if from_iso(grant["ends_at"]) > bound:
            problems.append(f"grant {grant['id']} ends {grant['ends_at']}, after {bound}")
    return problems


def ended_grants_unaudited(conn: sqlite3.Connection) -> list[str]:
    problems = []
    for grant in rows(conn, "SELECT * FROM grants WHERE ended_at IS NOT NULL"):
        action = {"expired": "grant.expired", "revoked": "grant.revoked",
                  "failed": "grant.failed"}[grant["end_status"]]
        found = rows(conn, "SELECT id FROM audit WHERE request_id=? AND action=?",
                     (grant["request_id"], action))
        if len(found) != 1:
            problems.append(f"grant {grant['id']} ended {grant['end_status']} with "
                            f"{len(found)} '{action}' entries")
    return problems


def unsettled_requests(conn: sqlite3.Connection) -> list[str]:
    """Once every job has run, no request is still pending, approved or active."""
    return [f"R-{r['id']} is still {r['status']}" for r in rows(
        conn, "SELECT id, status FROM requests WHERE status IN ('pending','approved','active')")]


def all_problems(conn: sqlite3.Connection) -> list[str]:
    """Everything that must hold at any moment, crash or not."""
    return (grant_problems(conn) + live_grant_problems(conn) + stuck_approvals(conn)
            + overlong_grants(conn) + ended_grants_unaudited(conn))
