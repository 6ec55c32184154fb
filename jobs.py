"""APScheduler: the 30-second sweep; features add their own jobs (the daily digest)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger("gatehouse.jobs")
SWEEP_SECONDS = 30


def safely(name: str, work: Callable[[], object]) -> Callable[[], None]:
    """Wrap a scheduled job so that one failing run is logged and the scheduler goes on."""
    def run() -> None:
        try:
            work()
        except Exception:  # the scheduler must keep running whatever one run does
            log.exception("scheduled run failed", extra={"job": name})
    return run


def build_scheduler(sweep: Callable[[], object], *, timezone: str = "UTC") -> BackgroundScheduler:
    """A scheduler that runs the sweep every 30 s, never two at once."""
    scheduler = BackgroundScheduler(timezone=timezone)
    scheduler.add_job(safely("sweep", sweep), "interval", seconds=SWEEP_SECONDS, id="sweep",
                      max_instances=1, coalesce=True)
    return scheduler
