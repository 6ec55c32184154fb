"""A real Gatehouse over HTTP: fake Slack, moto's server, a SQLite file, an injected clock."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

import wiring
from config import load_config, load_environment
from fake_services.fake_federation import FakeFederation
from fake_services.fake_slack import FakeSlack
from fake_services.http_server import BackgroundServer
from fake_services.slack_signing import SlackClient

SECRET = "test-signing-secret"
ACCOUNT = "123456789012"
ADMIN, LEAD, LEAD2, DEV, DEV2, OTHER = "U0ADMIN", "U0LEAD", "U0LEAD2", "U0DEV", "U0DEV2", "U0OTHER"
APPROVALS, PROD_APPROVALS = "C0APPROVALS", "C0PRODAPPROVALS"
START = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


def base_config() -> dict[str, Any]:
    arn = f"arn:aws:iam::{ACCOUNT}:role/"
    return {
        "timezone": "UTC",
        "admins": [ADMIN],
        "approvals_channel": APPROVALS,
        "roles": {
            "prod-readonly": {"arn": arn + "ProdReadOnly", "description": "Read-only prod",
                              "max_duration": "4h", "approvers": [LEAD],
                              "channel": PROD_APPROVALS,
                              "conditions": {"source_ips": ["203.0.113.0/24"]}},
            "prod-admin": {"arn": arn + "ProdAdmin", "max_duration": "2h",
                           "approvers": [LEAD, LEAD2], "approvals_required": 2},
            "sandbox": {"arn": arn + "Sandbox", "max_duration": "1h", "auto_approve": True},
            "dev": {"arn": arn + "Dev", "max_duration": "8h", "approvers": [LEAD],
                    "allow_self_approval": True},
            "office": {"arn": arn + "Office", "max_duration": "4h", "approvers": [LEAD],
                       "conditions": {"hours": "08:00-12:00"}},
        },
    }


class Clock:
    """The bot's clock; tests move it instead of sleeping."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self.now += timedelta(**delta)
            return self.now


@dataclass
class Harness:
    runtime: wiring.Runtime
    slack: FakeSlack
    client: SlackClient
    clock: Clock
    url: str
    env: dict[str, str]
    iam: Any
    server: Any = None
    thread: threading.Thread | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def gh(self):
        return self.runtime.gh

    def command(self, user: str, text: str, channel: str = "C0GENERAL"):
        response = self.client.command(user, text, channel=channel)
        assert response.status_code == 200, response.text
        return response

    def answer(self, user: str, contains: str, timeout: float = 5.0, after: int = 0) -> str:
        """Wait for an ephemeral answer to `user` containing `contains` (past the first `after`)."""
        def found():
            texts = [e.text or "" for e in self.slack.ephemerals(user)][after:]
            return [text for text in texts if contains in text]
        return self.slack.wait_for(found, timeout=timeout)[-1]

    def file(self, user: str, text: str) -> int:
        """Send `/access <text>` and return the number of the request it filed."""
        seen = len(self.slack.ephemerals(user))
        self.command(user, text)
        answer = self.answer(user, "filed", after=seen)
        return int(answer.split()[0].removeprefix("R-"))

    def request_message(self, number: int, channel: str = APPROVALS):
        def found():
            return [m for m in self.slack.messages(channel) if f"R-{number}" in (m.text or "")]
        return self.slack.wait_for(found)[0]

    def current(self, message):
        return next(m for m in self.slack.messages(message.channel) if m.ts == message.ts)

    def thread_texts(self, message) -> list[str]:
        return [m.text for m in self.slack.thread(message.channel, message.ts)]

    def dms(self, user: str):
        return self.slack.messages(f"D{user}")

    def status(self, number: int) -> str:
        return self.runtime.requests.get(number).status.value

    def wait_status(self, number: int, status: str, timeout: float = 5.0) -> None:
        self.slack.wait_for(lambda: self.status(number) == status or None, timeout=timeout)

    def idle(self) -> None:
        """Wait until every piece of background work has finished."""
        assert self.runtime.background.wait_idle(timeout=10)

    def audit_actions(self) -> list[str]:
        return [e.action for e in self.runtime.audit.entries()]


@pytest.fixture(scope="session")
def slack_server():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture(scope="session")
def federation():
    fake = FakeFederation().start()
    yield fake
    fake.stop()


def create_roles(iam, config: dict[str, Any]) -> None:
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]}]})
    for role in config["roles"].values():
        name = role["arn"].rsplit("/", 1)[1]
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, MaxSessionDuration=43200)


def start_bot(tmp_path: Path, aws, slack: FakeSlack, federation: FakeFederation,
              config: dict[str, Any], clock: Clock, db_name: str = "gatehouse.db",
              extra_env: dict[str, str] | None = None) -> Harness:
    config_path = tmp_path / "gatehouse.yml"
    config_path.write_text(yaml.safe_dump(config))
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": slack.api_url, "GATEHOUSE_CONFIG": str(config_path),
           "GATEHOUSE_DB": str(tmp_path / db_name), "GATEHOUSE_FEDERATION_URL": federation.url,
           "HOST": "127.0.0.1", "PORT": "0", **(extra_env or {})}
    runtime = wiring.build(load_environment(env), load_config(config_path), clock=clock)
    server = BackgroundServer(runtime.wsgi(), threads=8).start()
    thread = server.thread
    url = f"http://127.0.0.1:{server.effective_port}"
    return Harness(runtime=runtime, slack=slack, client=SlackClient(url, SECRET, fake=slack),
                   clock=clock, url=url, env=env, iam=aws.client("iam"), server=server,
                   thread=thread)


def stop_bot(harness: Harness) -> None:
    harness.server.close()
    harness.runtime.stop()


@pytest.fixture
def slack(slack_server):
    slack_server.reset()
    for user, email in [(ADMIN, "admin@example.com"), (LEAD, "lead@example.com"),
                        (LEAD2, None), (DEV, "dev@example.com"), (DEV2, "dev2@example.com"),
                        (OTHER, "other@example.com")]:
        slack_server.add_user(user, user.lower(), email=email)
    return slack_server


@pytest.fixture
def config():
    return base_config()


@pytest.fixture
def gatehouse(tmp_path, aws, slack, federation, config):
    create_roles(aws.client("iam"), config)
    harness = start_bot(tmp_path, aws, slack, federation, config, Clock())
    yield harness
    stop_bot(harness)
