"""(2) A burst of 200 concurrent `/access request` commands while Slack rate-limits the bot."""

from __future__ import annotations

import sqlite3
import threading
import time

from bench.common import APPROVALS, SECRET, Section, Stack, gatehouse_process, ms, percentile
from fake_services.slack_signing import SlackClient

ACK_DEADLINE = 3.0


def fire(client: SlackClient, users: list[str]) -> list[tuple[int, float]]:
    """Every user sends `/access request` at the same moment; (status, seconds) each."""
    results: list[tuple[int, float]] = [(0, 0.0)] * len(users)
    barrier = threading.Barrier(len(users))

    def send(index: int, user: str) -> None:
        own = SlackClient(client.events_url, SECRET, fake=client.fake, timeout=30)
        barrier.wait()
        start = time.perf_counter()
        try:
            status = own.command(user, f"request dev 1h burst {index}").status_code
        except Exception:  # a refused connection counts as a failed ack
            status = 0
        results[index] = (status, time.perf_counter() - start)
    threads = [threading.Thread(target=send, args=(i, u)) for i, u in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def wait_posted(stack: Stack, count: int, timeout: float) -> float | None:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        posted = [m for m in stack.slack.messages(APPROVALS) if m.text.startswith("R-")]
        if len(posted) >= count:
            return time.perf_counter() - start
        time.sleep(0.05)
    return None


def run(quick: bool = False) -> Section:
    count = 50 if quick else 200
    stack = Stack()
    bot = gatehouse_process(stack, "burst")
    try:
        stack.slack.fail_next("chat.postMessage", status=429, retry_after=1, times=count // 10)
        users = [f"U0BURST{n:03d}" for n in range(count)]
        client = SlackClient(bot.url, SECRET, fake=stack.slack)
        started = time.perf_counter()
        results = fire(client, users)
        burst_seconds = time.perf_counter() - started
        all_posted = wait_posted(stack, count, timeout=180)
        posted = len([m for m in stack.slack.messages(APPROVALS) if m.text.startswith("R-")])
        limited = len([c for c in stack.slack.calls("chat.postMessage")
                       if c.error == "ratelimited"])
        with sqlite3.connect(stack.bot_env("burst", bot.port)["GATEHOUSE_DB"]) as conn:
            stored = conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0]
    finally:
        bot.stop()
        stack.stop()
    return report(count, results, burst_seconds, all_posted, posted, limited, stored)


def report(count, results, burst_seconds, all_posted, posted, limited, stored) -> Section:
    times = [seconds for status, seconds in results if status == 200]
    section = Section(f"2. Burst: {count} concurrent `/access request` commands")
    section.add(f"{count} different users send `/access request dev 1h …` at the same moment "
                "(one thread and connection each) to `python bot.py`; the fake Slack answers "
                f"the first {limited} `chat.postMessage` calls with HTTP 429 and "
                "`Retry-After: 1`.", "")
    within = sum(1 for seconds in times if seconds <= ACK_DEADLINE)
    section.table(["figure", "value"], [
        ["acked with HTTP 200", f"{len(times)} / {count}"],
        [f"acked within Slack's {ACK_DEADLINE:.0f} s", f"{within} / {count}"],
        ["ack p50 / p99 / max", " / ".join(ms(v) for v in (
            percentile(times, 50), percentile(times, 99), max(times or [0.0])))],
        ["whole burst sent and acked in", ms(burst_seconds)],
        ["requests stored", f"{stored} / {count}"],
        ["approval messages posted", f"{posted} / {count}"],
        ["429 answers served (each retried after Retry-After)", str(limited)],
        ["all approval messages posted after",
         f"{all_posted:.1f} s" if all_posted is not None else "not within 180 s"],
    ])
    return section
