"""The scheduler sweeps every 30 seconds and survives a failing run."""

import logging

from jobs import SWEEP_SECONDS, build_scheduler, safely


def test_the_sweep_runs_every_30_seconds_one_at_a_time():
    scheduler = build_scheduler(lambda: None, timezone="Europe/Paris")
    job = scheduler.get_job("sweep")
    assert SWEEP_SECONDS == 30 and job.trigger.interval.total_seconds() == 30
    assert job.max_instances == 1 and job.coalesce


def test_a_failing_run_is_logged_not_raised(caplog):
    def boom():
        raise RuntimeError("no")
    with caplog.at_level(logging.ERROR):
        safely("x", boom)()
    assert "scheduled run failed" in caplog.text
