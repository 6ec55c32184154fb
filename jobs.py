"""APScheduler: the 30-second sweep and the daily digest, both safe to run twice."""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger("gatehouse.jobs")
SWEEP_SECONDS = 30


def _safely(name: str, work: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            work()
        except Exception:  # the scheduler must keep running whatever one run does
            log.exception("scheduled run failed", extra={"job": name})
    return run


def build_scheduler(sweep: Callable[[], object], *, timezone: str = "UTC",
                    daily: list[tuple[str, int, int, Callable[[], object]]] = ()
                    ) -> BackgroundScheduler:
    """A scheduler that sweeps every 30 s and runs each (name, hour, minute, job) daily."""
    scheduler = BackgroundScheduler(timezone=timezone)
    scheduler.add_job(_safely("sweep", sweep), "interval", seconds=SWEEP_SECONDS, id="sweep",
                      max_instances=1, coalesce=True)
    for name, hour, minute, work in daily:
        scheduler.add_job(_safely(name, work), "cron", hour=hour, minute=minute, id=name,
                          max_instances=1, coalesce=True, misfire_grace_time=3600)
    return scheduler
