"""The scheduler's table: the sweep every 30 seconds, the daily digest, and a failing run."""

import logging
from datetime import time

from scheduler import SWEEP_SECONDS, build_scheduler, safely, schedule_table


def test_the_sweep_runs_every_30_seconds_one_at_a_time():
    table = schedule_table(sweep=lambda: None, digest_daily=None, digest_catch_up=None,
                           digest_at=None)
    scheduler = build_scheduler(table, timezone="Europe/Paris")
    job = scheduler.get_job("sweep")
    assert SWEEP_SECONDS == 30 and job.trigger.interval.total_seconds() == 30
    assert job.max_instances == 1 and job.coalesce
    assert [j.id for j in scheduler.get_jobs()] == ["sweep"]


def test_the_digest_is_declared_daily_and_caught_up_at_start():
    table = schedule_table(sweep=lambda: None, digest_daily=lambda: None,
                           digest_catch_up=lambda: None, digest_at=time(9, 30))
    scheduler = build_scheduler(table, timezone="UTC")
    assert sorted(j.id for j in scheduler.get_jobs()) == ["digest", "digest-catch-up", "sweep"]
    assert str(scheduler.get_job("digest").trigger) == "cron[hour='9', minute='30']"


def test_a_failing_run_is_logged_not_raised(caplog):
    def boom():
        raise RuntimeError("no")
    with caplog.at_level(logging.ERROR):
        safely("x", boom)()
    assert "scheduled run failed" in caplog.text
