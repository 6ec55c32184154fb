"""APScheduler: what runs when, declared in one table (the sweep, the digest, discovery)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import time

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger("gatehouse.jobs")
SWEEP_SECONDS = 30
DISCOVERY_SECONDS = 24 * 3600  # the organisation's accounts are found again once a day
DAY_SECONDS = 24 * 3600  # identity_center.cleanup runs once a day


@dataclass(frozen=True)
class Every:
    """Run every `seconds`, never two at once."""

    seconds: int


@dataclass(frozen=True)
class DailyAt:
    """Run once a day at `at` in the config's timezone; a run missed by < 1 h still happens."""

    at: time


@dataclass(frozen=True)
class AtStart:
    """Run once, as soon as the scheduler starts (catching up with what was missed)."""


Trigger = Every | DailyAt | AtStart


@dataclass(frozen=True)
class Scheduled:
    name: str
    trigger: Trigger
    run: Callable[[], object]


def schedule_table(*, sweep: Callable[[], object], digest_daily: Callable[[], object] | None,
                   digest_catch_up: Callable[[], object] | None,
                   digest_at: time | None,
                   discover_accounts: Callable[[], object] | None = None,
                   assignment_cleanup: Callable[[], object] | None = None) -> list[Scheduled]:
    """Everything that runs on a timer. Stored jobs (expiries, reminders, key steps) are run
    by the sweep when due; their kinds are `domain.jobs.JobKind`."""
    table = [Scheduled("sweep", Every(SWEEP_SECONDS), sweep)]
    if digest_daily is not None and digest_at is not None:
        table.append(Scheduled("digest", DailyAt(digest_at), digest_daily))
    if digest_catch_up is not None:
        table.append(Scheduled("digest-catch-up", AtStart(), digest_catch_up))
    if discover_accounts is not None:
        table.append(Scheduled("discover-accounts", Every(DISCOVERY_SECONDS), discover_accounts))
    if assignment_cleanup is not None:  # identity_center.cleanup: true
        table.append(Scheduled("identity-center-cleanup", Every(DAY_SECONDS), assignment_cleanup))
    return table


def safely(name: str, work: Callable[[], object]) -> Callable[[], None]:
    """Wrap a scheduled job so that one failing run is logged and the scheduler goes on."""
    def run() -> None:
        try:
            work()
        except Exception:  # the scheduler must keep running whatever one run does
            log.exception("scheduled run failed", extra={"job": name})
    return run


def build_scheduler(table: Sequence[Scheduled], *, timezone: str = "UTC") -> BackgroundScheduler:
    """A scheduler holding every entry of `table`; nothing runs until it is started."""
    scheduler = BackgroundScheduler(timezone=timezone)
    for entry in table:
        _add(scheduler, entry, timezone)
    return scheduler


def _add(scheduler: BackgroundScheduler, entry: Scheduled, timezone: str) -> None:
    run, trigger = safely(entry.name, entry.run), entry.trigger
    if isinstance(trigger, Every):
        scheduler.add_job(run, "interval", seconds=trigger.seconds, id=entry.name,
                          max_instances=1, coalesce=True)
    elif isinstance(trigger, DailyAt):
        scheduler.add_job(run, "cron", hour=trigger.at.hour, minute=trigger.at.minute,
                          timezone=timezone, id=entry.name, max_instances=1, coalesce=True,
                          misfire_grace_time=3600)
    else:
        scheduler.add_job(run, "date", id=entry.name, misfire_grace_time=None)
