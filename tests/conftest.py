"""Shared fixtures: a moto server on loopback and AWS settings that point at it."""

from __future__ import annotations

import io
import logging
import os

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from logs import QUIET_LOGGERS, setup_logging


@pytest.fixture(scope="session")
def moto_server():
    """One moto server for the whole run, bound to 127.0.0.1 on a free port."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_server, monkeypatch):
    """Fresh emulated AWS account; the environment points boto3 at it."""
    requests.post(f"{moto_server}/moto-api/reset", timeout=10)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return AwsSandbox(moto_server)


class AwsSandbox:
    """Handy clients for the emulated account."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.session = boto3.session.Session(region_name="us-east-1")

    def client(self, service: str):
        return self.session.client(service, endpoint_url=self.endpoint)


os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def captured_logs():
    """Every log line, at DEBUG, as the bot writes them in production (JSON on stderr)."""
    lines = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level,
             {name: logging.getLogger(name).level for name in QUIET_LOGGERS})
    setup_logging("DEBUG", stream=lines)
    yield lines
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def issued_by_sts(gh) -> list[str]:
    """Secret keys and session tokens as STS returned them to a running bot, whatever became
    of them afterwards."""
    seen: list[str] = []

    def keep(parsed, **_):
        credentials = parsed.get("Credentials") or {}
        seen.extend(credentials[k] for k in ("SecretAccessKey", "SessionToken") if k in credentials)
    gh.runtime.aws_grants.clients.sts().meta.events.register("after-call.sts.AssumeRole", keep)
    return seen


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL cluster for the run (tests/pg_server.py); skipped only when no
    PostgreSQL is installed (`make test` installs Debian's package when it can)."""
    from tests.pg_server import PgServer, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (no initdb on PATH or in "
                    "/usr/lib/postgresql/*/bin): `make postgres` installs it")
    server = PgServer(bin_dir).start()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server):
    """The URL of a fresh, empty PostgreSQL database for one test."""
    return pg_server.new_database()
