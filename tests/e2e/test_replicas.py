"""Three bot processes on one PostgreSQL database: every approval and expiry happens once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from domain.requests import Status, audit_action
from fake_services.slack_signing import SlackClient
from tests.e2e.conftest import APPROVALS, LEAD, SECRET, START, base_config, create_roles

ROOT = Path(__file__).resolve().parents[2]
EXPIRED = audit_action(Status.ACTIVE, Status.EXPIRED)


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Replicas:
    """Three `python -m tests.e2e.replica_bot` processes sharing GATEHOUSE_DB and a clock file."""

    def __init__(self, tmp_path: Path, url: str, slack, federation, moto_server) -> None:
        self.url, self.slack, self.now = url, slack, START
        self.clock_file = tmp_path / "clock"
        self.clock_file.write_text(START.isoformat())
        config_path = tmp_path / "gatehouse.yml"
        config_path.write_text(yaml.safe_dump(base_config()))
        self.env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
                    "SLACK_API_URL": slack.api_url, "GATEHOUSE_CONFIG": str(config_path),
                    "GATEHOUSE_DB": url, "GATEHOUSE_FEDERATION_URL": federation.url,
                    "GATEHOUSE_TEST_CLOCK": str(self.clock_file), "HOST": "127.0.0.1",
                    "AWS_ENDPOINT_URL": moto_server, "AWS_ACCESS_KEY_ID": "testing",
                    "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                    "LOG_LEVEL": "INFO"}
        self.logs = [tmp_path / f"replica{n}.log" for n in range(3)]
        self.ports = [_free_port() for _ in range(3)]
        self.processes = [self._start(n) for n in range(3)]
        self.clients = [SlackClient(f"http://127.0.0.1:{port}", SECRET, fake=slack)
                        for port in self.ports]
        for port in self.ports:
            self._wait_ready(port)

    def _start(self, n: int) -> subprocess.Popen:
        log = open(self.logs[n], "wb")  # noqa: SIM115 - the process owns it
        return subprocess.Popen([sys.executable, "-m", "tests.e2e.replica_bot"],
                                env={**self.env, "PORT": str(self.ports[n])}, cwd=ROOT,
                                stdout=log, stderr=log)

    def _wait_ready(self, port: int) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise AssertionError("a replica did not start: " + self.logs[0].read_text()[-2000:])

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
        self.clock_file.write_text(self.now.isoformat())

    def rows(self, sql: str) -> list[tuple]:
        with psycopg.connect(self.url) as conn:
            return conn.execute(sql).fetchall()

    def wait(self, predicate, timeout: float = 40.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = predicate()
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError("timed out waiting")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def replicas(tmp_path, pg_url, aws, slack, federation, moto_server):
    create_roles(aws.client("iam"), base_config())
    group = Replicas(tmp_path, pg_url, slack, federation, moto_server)
    yield group
    group.stop()


def metric_sum(port: int, name: str, **labels: str) -> float:
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples
               if sample.name == name and all(sample.labels.get(k) == v
                                              for k, v in labels.items()))


def test_ten_approve_clicks_over_three_replicas_make_one_grant(replicas, slack):
    dev = "U0DEV"
    response = replicas.clients[0].command(dev, "request dev 1h deploy")
    assert response.status_code == 200
    message = slack.wait_for(lambda: [m for m in slack.messages(APPROVALS)
                                      if "R-1" in (m.text or "")])[0]
    with ThreadPoolExecutor(10) as pool:
        clicks = list(pool.map(lambda n: replicas.clients[n % 3].click(
            LEAD, "approve", "1", message=message), range(10)))
    assert all(click.status_code == 200 for click in clicks)
    replicas.wait(lambda: replicas.rows("SELECT status FROM requests WHERE id=1")[0][0]
                  == "active")
    replicas.wait(lambda: slack.messages(f"D{dev}"))
    time.sleep(1)  # polling window: a second grant or DM would show up by now
    assert replicas.rows("SELECT count(*) FROM grants")[0][0] == 1
    credential_dms = [m for m in slack.messages(f"D{dev}") if "AWS_ACCESS_KEY_ID" in str(
        m.text) + json.dumps(m.blocks or [])]
    assert len(credential_dms) == 1
    actions = Counter(row[0] for row in replicas.rows("SELECT action FROM audit"))
    assert actions["request.approved"] == 1
    assert sum(metric_sum(port, "gatehouse_requests_total", status="approved")
               for port in replicas.ports) == 1


def test_every_expiry_done_once_even_when_a_replica_is_killed(replicas, slack):
    users = [f"U0REP{n:03d}" for n in range(300)]
    for user in users:
        slack.add_user(user, user.lower(), email=f"{user.lower()}@example.com")
    with ThreadPoolExecutor(12) as pool:
        acks = list(pool.map(lambda pair: replicas.clients[pair[0] % 3].command(
            pair[1], "request sandbox 30m load"), enumerate(users)))
    assert all(ack.status_code == 200 for ack in acks)
    replicas.wait(lambda: replicas.rows(
        "SELECT count(*) FROM requests WHERE status='active'")[0][0] == len(users))
    assert sum(metric_sum(port, "gatehouse_requests_total", status="pending")
               for port in replicas.ports) == len(users)
    replicas.advance(minutes=31)
    replicas.wait(lambda: replicas.rows(
        f"SELECT count(*) FROM audit WHERE action='{EXPIRED}'")[0][0] >= 5, timeout=60)
    victim = replicas.processes[2]
    victim.send_signal(signal.SIGKILL)  # mid-sweep: its leases stay until they lapse
    victim.wait(timeout=10)
    replicas.advance(minutes=6)  # past the 5-minute lease
    replicas.wait(lambda: replicas.rows(
        "SELECT count(*) FROM requests WHERE status='expired'")[0][0] == len(users), timeout=60)
    per_request = Counter(row[0] for row in replicas.rows(
        f"SELECT request_id FROM audit WHERE action='{EXPIRED}'"))
    assert len(per_request) == len(users) and set(per_request.values()) == {1}
    assert replicas.rows("SELECT count(*) FROM grants WHERE ended_at IS NULL")[0][0] == 0
    ok, bad = subprocess.run([sys.executable, "bot.py", "audit", "verify"], cwd=ROOT,
                             env=replicas.env, capture_output=True, text=True).stdout, None
    assert ok.startswith("audit: ok") and bad is None
