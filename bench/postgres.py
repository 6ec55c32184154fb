"""(6) Several replicas on PostgreSQL: a burst of requests and the sweep's expiries per second."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from bench.common import APPROVALS, SECRET, Section, Stack, ms, percentile
from bench.replicas import FileClock, Replicas, count, postgres, rows, wait_until
from domain.requests import Status, audit_action
from fake_services.slack_signing import SlackClient

ACK_DEADLINE = 3.0
EXPIRED = audit_action(Status.ACTIVE, Status.EXPIRED)


@dataclass
class Burst:
    setup: str
    sent: int
    acks: list[tuple[int, float]]
    seconds: float
    stored: int
    distinct: int
    posted: int
    all_filed: float | None


@dataclass
class Sweep:
    replicas: int
    expiries: int
    seconds: float | None
    once: bool
    jobs_run: Counter


def fire(group: Replicas, users: list[str]) -> list[tuple[int, float]]:
    """Every user sends `/access request` at the same moment, round-robin over the replicas."""
    results: list[tuple[int, float]] = [(0, 0.0)] * len(users)
    barrier = threading.Barrier(len(users))

    def send(index: int, user: str) -> None:
        shared = group.client(index)
        own = SlackClient(shared.events_url, SECRET, fake=shared.fake, timeout=30)
        barrier.wait()
        start = time.perf_counter()
        try:
            status = own.command(user, f"request dev 1h burst {index}").status_code
        except Exception:  # a refused or timed-out connection counts as a failed ack
            status = 0
        results[index] = (status, time.perf_counter() - start)
    threads = [threading.Thread(target=send, args=(i, u)) for i, u in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def burst(stack: Stack, setup: str, db: str, replicas: int, size: int) -> Burst:
    stack.slack.reset()
    group = Replicas(stack, f"burst{replicas}", db, replicas)
    try:
        users = [f"U0B{replicas}{n:04d}" for n in range(size)]
        started = time.perf_counter()
        acks = fire(group, users)
        seconds = time.perf_counter() - started
        filed = wait_until(lambda: count(db, "SELECT count(*) FROM requests") >= size
                           and len(approval_posts(stack)) >= size, timeout=240, poll=0.1)
        all_filed = None if filed is None else time.perf_counter() - started
        time.sleep(1)  # polling window: a duplicate request or post would show by now
        stored = count(db, "SELECT count(*) FROM requests")
        distinct = count(db, "SELECT count(DISTINCT requester) FROM requests")
        posted = len(set(approval_posts(stack)))
    finally:
        group.stop()
    return Burst(setup, size, acks, seconds, stored, distinct, posted, all_filed)


def approval_posts(stack: Stack) -> list[str]:
    return [m.text.split()[0] for m in stack.slack.messages(APPROVALS)
            if m.text.startswith("R-")]


def file_grants(group: Replicas, stack: Stack, size: int) -> None:
    """`size` auto-approved 30-minute grants, filed over the replicas; returns once all live."""
    users = [f"U0S{len(group.servers)}{n:04d}" for n in range(size)]
    for user in users:
        stack.slack.add_user(user, user.lower(), email=f"{user.lower()}@example.com")

    def send(index: int) -> int:
        shared = group.client(index)
        own = SlackClient(shared.events_url, SECRET, fake=shared.fake, timeout=30)
        return own.command(users[index], "request sandbox 30m sweep").status_code
    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(send, range(size)))
    if any(status != 200 for status in statuses):
        raise RuntimeError(f"filing refused: {Counter(statuses)}")
    if wait_until(lambda: count(group.db, "SELECT count(*) FROM grants WHERE ended_at IS NULL")
                  >= size, timeout=300, poll=0.2) is None:
        raise RuntimeError("the grants did not all go live within 300 s")


def sweep(stack: Stack, db: str, replicas: int, size: int) -> Sweep:
    stack.slack.reset()
    clock = FileClock(stack.folder)
    group = Replicas(stack, f"sweep{replicas}", db, replicas, clock=clock)
    try:
        file_grants(group, stack, size)
        done_before = jobs_done(db)
        expired = f"SELECT count(*) FROM audit WHERE action='{EXPIRED}'"
        clock.advance(timedelta(minutes=31))
        seconds = wait_until(lambda: count(db, expired) >= size, timeout=300)
        time.sleep(1)  # polling window: a second expiry of one grant would show by now
        per_grant = Counter(r[0] for r in rows(
            db, f"SELECT request_id FROM audit WHERE action='{EXPIRED}'"))
        jobs_run = jobs_done(db) - done_before
    finally:
        group.stop()
    once = len(per_grant) == size and set(per_grant.values()) == {1}
    return Sweep(replicas, size, seconds, once, jobs_run)


def jobs_done(db: str) -> Counter:
    """Finished jobs by kind; those closed without ever being claimed are marked cancelled."""
    found = rows(db, "SELECT action, claimed_at IS NULL, count(*) FROM jobs"
                     " WHERE done_at IS NOT NULL GROUP BY action, claimed_at IS NULL")
    return Counter({f"{action} (cancelled)" if cancelled else action: n
                    for action, cancelled, n in found})


def run(quick: bool = False) -> Section:
    burst_size, sweep_size, rounds = (150, 60, 1) if quick else (600, 300, 2)
    load = os.getloadavg()[0]
    stack = Stack()
    cluster = postgres()
    try:
        bursts = [burst(stack, "1 replica, SQLite", str(stack.folder / "burst.db"), 1,
                        burst_size),
                  burst(stack, "1 replica, PostgreSQL", cluster.new_database(), 1, burst_size),
                  burst(stack, "3 replicas, PostgreSQL", cluster.new_database(), 3, burst_size)]
        sweeps = [sweep(stack, cluster.new_database(), n, sweep_size)
                  for _ in range(rounds) for n in (1, 2, 3)]
    finally:
        cluster.stop()
        stack.stop()
    return report(bursts, sorted(sweeps, key=lambda s: s.replicas), load)


def burst_row(b: Burst) -> list[str]:
    times = [seconds for status, seconds in b.acks if status == 200]
    within = sum(1 for seconds in times if seconds <= ACK_DEADLINE)
    return [b.setup, f"{len(times)} / {b.sent}", f"{within} / {b.sent}",
            ms(percentile(times, 50)), ms(percentile(times, 99)), ms(max(times or [0.0])),
            f"{b.seconds:.2f} s", f"{b.stored} / {b.sent} ({b.distinct} distinct requesters)",
            f"{b.posted} / {b.sent}",
            f"{b.all_filed:.1f} s" if b.all_filed is not None else "not within 240 s"]


def sweep_row(s: Sweep) -> list[str]:
    if s.seconds is None:
        return [str(s.replicas), str(s.expiries), "not within 300 s", "—", "—", kinds(s)]
    return [str(s.replicas), str(s.expiries), f"{s.seconds:.2f} s",
            f"{s.expiries / s.seconds:.0f}", "yes" if s.once else "**no**", kinds(s)]


def kinds(s: Sweep) -> str:
    return ", ".join(f"{action} ×{n}" for action, n in sorted(s.jobs_run.items()))


def report(bursts: list[Burst], sweeps: list[Sweep], load: float) -> Section:
    size = bursts[0].sent
    section = Section("7. Several replicas on PostgreSQL")
    section.add(
        "PostgreSQL 15 is a throw-away cluster started as the tests start it "
        "(`tests/pg_server.py`: `initdb` + `pg_ctl` on loopback, `fsync=off`, "
        "`synchronous_commit=off`); each setup gets a fresh database, migrated with "
        "`python bot.py migrate` before its replicas start. The replicas, PostgreSQL, moto, "
        "the fake Slack and the client all share this machine's 2 cores, which other work "
        f"was also using (1-minute load average {load:.1f} when this benchmark started).", "",
        f"**Burst.** {size} different users send signed `/access request dev 1h …` at the same "
        "moment (one thread and connection each), round-robin over the replicas "
        "(`python bot.py`, waitress with 8 threads each). *Filed* counts rows in `requests`; "
        "*posted* counts distinct `R-…` approval messages in the fake Slack, 1 s after the "
        "last one appeared.", "")
    section.table(["setup", "acked 200", f"within {ACK_DEADLINE:.0f} s", "ack p50", "ack p99",
                   "ack max", "burst acked in", "requests filed", "approval posts",
                   "all filed and posted after"], [burst_row(b) for b in bursts])
    expiries = sweeps[0].expiries
    section.add(
        f"**Sweep.** {expiries} auto-approved 30-minute grants are filed over the replicas "
        "(`python -m tests.e2e.replica_bot`: `python bot.py run` with its clock read from a "
        "file, sweeping again 50 ms after each sweep ends). Once all are live the shared clock "
        "moves 31 minutes on; the time is from that move until the audit log holds "
        f"`{EXPIRED}` for every one of them (polled every 20 ms). *Once* checks, 1 s later, "
        "that each grant's expiry is audited exactly once. *Jobs closed* counts, by kind, the "
        "jobs marked done from the clock move until then; *(cancelled)* ones were closed "
        "without being claimed (ending a grant cancels its own pending jobs). Each replica "
        f"count ran {len(sweeps) // 3} time(s), interleaved (1, 2, 3, 1, 2, 3 …), each on a "
        "fresh database.", "")
    section.table(["replicas", "expiries", "all audited after", "expiries/s", "once",
                   "jobs closed"], [sweep_row(s) for s in sweeps])
    return section
