"""Fixtures for the fake Slack tests: one server per module, reset for each test."""

import pytest
from slack_sdk import WebClient

from fake_services.fake_slack import FakeSlack


@pytest.fixture(scope="module")
def server():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def fake(server):
    server.reset()
    return server


@pytest.fixture
def web(fake):
    return WebClient(base_url=fake.api_url, token="xoxb-test")
