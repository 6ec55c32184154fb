"""Prometheus metrics: one registry per running bot, its series, and the hooks that feed them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import wraps
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from domain.jobs import Job
from domain.requests import KEY_ACTIONS, TRANSITIONS, Status

log = logging.getLogger("gatehouse.metrics")

# The status a request reaches, by the audit action that records the move.
STATUS_OF_ACTION: dict[str, str] = {
    "request.created": Status.PENDING.value,
    **{action: to.value for moves in TRANSITIONS.values() for to, action in moves.items()},
    **{KEY_ACTIONS[action]: to.value for moves in TRANSITIONS.values()
       for to, action in moves.items() if action in KEY_ACTIONS},
}
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
LAG_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


class Metrics:
    """The series of one bot; gauges that need the database read it when scraped."""

    def __init__(self, *, active_grants: Callable[[], int],
                 oldest_due: Callable[[datetime], datetime | None],
                 clock: Callable[[], datetime]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("gatehouse_requests", "Request status moves, by the status "
                                "reached (pending = filed)", ["status"], registry=self.registry)
        self.ack_seconds = Histogram("gatehouse_ack_seconds", "Time to answer POST /slack/events",
                                     buckets=ACK_BUCKETS, registry=self.registry)
        self.job_pickup_lag = Histogram("gatehouse_job_pickup_lag_seconds",
                                        "How late each job was when the sweep claimed it",
                                        buckets=LAG_BUCKETS, registry=self.registry)
        self.aws_errors = Counter("gatehouse_aws_errors", "AWS calls that failed after retries",
                                  ["operation"], registry=self.registry)
        self.slack_errors = Counter("gatehouse_slack_errors", "Slack Web API calls that failed "
                                    "after retries", ["method"], registry=self.registry)
        self.registry.register(DatabaseGauges(active_grants, oldest_due, clock))
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)

    def exposition(self) -> tuple[str, bytes]:
        """(content type, body) of the text format."""
        return CONTENT_TYPE_LATEST, generate_latest(self.registry)

    def on_audit_entry(self, action: str) -> None:
        status = STATUS_OF_ACTION.get(action)
        if status:
            self.requests.labels(status=status).inc()

    def counting_audit(self, append: Callable[..., int]) -> Callable[..., int]:
        """`append` that also counts the request status moves it records."""
        @wraps(append)
        def counted(*args: Any, **kwargs: Any) -> int:
            entry_id = append(*args, **kwargs)
            self.on_audit_entry(str(kwargs.get("action", "")))
            return entry_id
        return counted

    def timing_claims(self, claim: Callable[[Job, datetime], bool]
                      ) -> Callable[[Job, datetime], bool]:
        """`claim` that also records how late each job it wins was."""
        @wraps(claim)
        def timed(job: Job, now: datetime) -> bool:
            won = claim(job, now)
            if won:
                self.job_pickup_lag.observe(max(0.0, (now - job.due_at).total_seconds()))
            return won
        return timed

    def count_slack_errors(self, client: Any) -> None:
        """Count the Web API calls of this WebClient that end in an error (after its retries)."""
        call = client.api_call
        if getattr(call, "counts_errors", False):
            return

        def api_call(api_method: str, *args: Any, **kwargs: Any) -> Any:
            try:
                return call(api_method, *args, **kwargs)
            except Exception:
                self.slack_errors.labels(method=api_method).inc()
                raise
        api_call.counts_errors = True  # type: ignore[attr-defined]
        client.api_call = api_call

    def slack_middleware(self) -> Callable[..., Any]:
        """A Bolt middleware: the WebClient Bolt makes for each listener counts errors too."""
        def count_listener_errors(context: Any, next: Callable[[], Any]) -> Any:  # Bolt names
            if context.client is not None:
                self.count_slack_errors(context.client)
            return next()
        return count_listener_errors

    def count_aws_errors(self, events: Any) -> None:
        """Count failed calls of every client later made from the session owning `events`.

        botocore emits `after-call` once per call, after its retries: a status >= 300 is an
        error AWS answered; `after-call-error` is one it never answered (network, timeout).
        """
        def answered(http_response: Any = None, model: Any = None, **_: Any) -> None:
            if http_response is not None and http_response.status_code >= 300:
                self.aws_errors.labels(operation=model.name).inc()

        def unanswered(event_name: str = "", **_: Any) -> None:
            self.aws_errors.labels(operation=event_name.rsplit(".", 1)[-1]).inc()

        events.register("after-call", answered, unique_id=f"gatehouse-metrics-{id(self)}")
        events.register("after-call-error", unanswered,
                        unique_id=f"gatehouse-metrics-error-{id(self)}")


class DatabaseGauges(Collector):
    """`gatehouse_active_grants` and `gatehouse_job_lag_seconds`, read when scraped.

    When the database cannot be read the samples are left out (so /metrics still answers);
    /healthz says why.
    """

    def __init__(self, active_grants: Callable[[], int],
                 oldest_due: Callable[[datetime], datetime | None],
                 clock: Callable[[], datetime]) -> None:
        self.active_grants = active_grants
        self.oldest_due = oldest_due
        self.clock = clock

    def describe(self) -> list[GaugeMetricFamily]:
        return list(self._families())

    def collect(self) -> Iterator[GaugeMetricFamily]:
        grants, lag = self._families()
        try:
            now = self.clock()
            oldest = self.oldest_due(now)
            grants.add_metric([], float(self.active_grants()))
            lag.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        except Exception as exc:  # a scrape must not fail because the database is away
            log.warning("could not read the database for metrics",
                        extra={"error": type(exc).__name__})
            return iter(())
        return iter((grants, lag))

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (GaugeMetricFamily("gatehouse_active_grants", "Grants live now (not yet ended)"),
                GaugeMetricFamily("gatehouse_job_lag_seconds",
                                  "How overdue the oldest due, unclaimed job is now"))
