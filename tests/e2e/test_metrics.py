"""GET /metrics counts what really happened over signed HTTP; /healthz tells when the DB is gone."""

from __future__ import annotations

import os
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from fake_services.http_server import BackgroundServer
from fake_services.slack_signing import SlackClient
from tests.adversarial.aws_faults import AwsFaults
from tests.e2e.conftest import (
    APPROVALS,
    DEV,
    DEV2,
    LEAD,
    OTHER,
    PROD_APPROVALS,
    SECRET,
    Clock,
    start_bot,
    stop_bot,
)


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of GET /metrics, keyed by (sample name, sorted labels)."""
    response = requests.get(f"{url}/metrics", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def approve(gh, number: int, channel: str = APPROVALS) -> None:
    gh.client.click(LEAD, "approve", str(number), message=gh.request_message(number, channel))
    gh.idle()


def test_metrics_count_what_the_bot_did(gatehouse):
    gh = gatehouse
    clients = gh.runtime.aws_clients
    faults = AwsFaults(clients.sts(), clients.iam())
    posts = 0

    granted = gh.file(DEV, "request dev 1h read the logs")
    approve(gh, granted)
    auto = gh.file(DEV2, "request sandbox 1h try a thing")
    gh.idle()
    posts += 3
    assert gh.status(granted) == gh.status(auto) == "active"

    faults.fail("GetRole", "500")  # retried and then answered: not an error
    faults.fail("AssumeRole", "denied")  # AWS refuses: the request fails
    refused = gh.file(OTHER, "request prod-readonly 1h refused by aws")
    approve(gh, refused, channel=PROD_APPROVALS)
    posts += 2
    assert gh.status(refused) == "failed"

    gh.slack.fail_next("chat.postMessage", error="channel_not_found")  # Slack refuses
    gh.command(LEAD, "request dev 1h nobody will see this")
    gh.idle()
    posts += 1
    unposted = max(r["id"] for r in gh.runtime.store.query("SELECT id FROM requests"))
    assert gh.status(unposted) == "failed"

    gh.slack.fail_next("views.open", error="expired_trigger_id")  # Bolt's own client, too
    gh.command(DEV, "request")
    posts += 1

    samples = scrape(gh.url)
    # Four filed; three approved and moved to active (the refused one fails once AWS says no).
    statuses = {"pending": 4, "approved": 3, "active": 3, "failed": 2}
    for status, count in statuses.items():
        assert value(samples, "gatehouse_requests_total", status=status) == count, status
    assert value(samples, "gatehouse_requests_total", status="expired") == 0
    assert value(samples, "gatehouse_active_grants") == 2
    assert value(samples, "gatehouse_aws_errors_total", operation="AssumeRole") == 1
    assert not [key for key in samples if key[0] == "gatehouse_aws_errors_total"
                and key[1] != (("operation", "AssumeRole"),)]
    assert value(samples, "gatehouse_slack_errors_total", method="chat.postMessage") == 1
    assert value(samples, "gatehouse_slack_errors_total", method="views.open") == 1
    assert value(samples, "gatehouse_ack_seconds_count") == posts
    assert 0 < value(samples, "gatehouse_ack_seconds_sum") < 3 * posts
    assert value(samples, "gatehouse_ack_seconds_bucket", le="+Inf") == posts
    assert value(samples, "gatehouse_job_lag_seconds") == 0
    assert value(samples, "process_resident_memory_bytes") > 0
    assert any(name == "python_info" for name, _ in samples)


def test_job_lag_is_the_oldest_due_job_and_pickups_are_timed(gatehouse):
    gh = gatehouse
    number = gh.file(DEV, "request dev 1h read the logs")
    approve(gh, number)
    ends = gh.runtime.requests.live_grants()[0].ends_at
    gh.clock.advance(hours=1, minutes=7)  # the expiry is 7 minutes late; nothing swept yet
    oldest = min(job.due_at for job in gh.runtime.jobs.due(gh.clock()))

    samples = scrape(gh.url)
    assert oldest <= ends
    assert value(samples, "gatehouse_job_lag_seconds") == (gh.clock() - oldest).total_seconds()
    assert value(samples, "gatehouse_job_lag_seconds") >= 7 * 60
    before = value(samples, "gatehouse_job_pickup_lag_seconds_count")

    ran = gh.gh.sweep()
    samples = scrape(gh.url)
    assert ran > 0 and gh.status(number) == "expired"
    assert value(samples, "gatehouse_job_lag_seconds") == 0
    assert value(samples, "gatehouse_job_pickup_lag_seconds_count") == before + ran
    assert value(samples, "gatehouse_job_pickup_lag_seconds_sum") >= 7 * 60
    assert value(samples, "gatehouse_active_grants") == 0
    assert value(samples, "gatehouse_requests_total", status="expired") == 1


def test_healthz_is_503_when_the_database_is_gone(gatehouse):
    gh = gatehouse
    gh.runtime.scheduler.start()
    ok = requests.get(f"{gh.url}/healthz", timeout=10)
    assert ok.status_code == 200 and ok.json()["database"] is True

    for path in Path(gh.env["GATEHOUSE_DB"]).parent.glob("gatehouse.db*"):
        os.remove(path)
    gone = requests.get(f"{gh.url}/healthz", timeout=10)
    assert gone.status_code == 503
    assert gone.json() == {"status": "unavailable", "database": False, "scheduler": True}
    assert requests.get(f"{gh.url}/metrics", timeout=10).status_code == 200


def test_healthz_is_503_when_the_connection_is_closed(gatehouse):
    gh = gatehouse
    gh.runtime.store.close()
    gone = requests.get(f"{gh.url}/healthz", timeout=10)
    assert gone.status_code == 503 and gone.json()["database"] is False
    samples = scrape(gh.url)  # the scrape still answers; the database gauges are left out
    assert ("gatehouse_active_grants", ()) not in samples
    assert value(samples, "process_resident_memory_bytes") > 0


def test_each_bot_has_its_own_registry(gatehouse, tmp_path, aws, slack, federation, config):
    second = start_bot(tmp_path, aws, slack, federation, config, Clock(), db_name="second.db")
    try:
        gatehouse.file(DEV, "request dev 1h read the logs")
        assert value(scrape(gatehouse.url), "gatehouse_requests_total", status="pending") == 1
        assert value(scrape(second.url), "gatehouse_requests_total", status="pending") == 0
    finally:
        stop_bot(second)


def test_the_socket_mode_listener_serves_health_and_metrics_only(gatehouse):
    gatehouse.runtime.scheduler.start()
    server = BackgroundServer(gatehouse.runtime.wsgi(slack_events=False), threads=2).start()
    url = f"http://127.0.0.1:{server.effective_port}"
    try:
        assert requests.get(f"{url}/healthz", timeout=10).json()["status"] == "ok"
        assert "gatehouse_active_grants 0.0" in requests.get(f"{url}/metrics", timeout=10).text
        response = SlackClient(url, SECRET, fake=gatehouse.slack).command(DEV, "help")
        assert response.status_code == 404  # signed or not, Slack events come over the socket
        assert "Gatehouse serves GET /healthz and GET /metrics only" in response.text
    finally:
        server.close()
