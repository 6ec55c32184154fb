"""A failing federation endpoint never lets the session credentials into logs, DB or Slack."""

from __future__ import annotations

import json
import socket
import threading
import urllib.parse
from pathlib import Path

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

import aws.console
from tests.conftest import issued_by_sts
from tests.e2e.conftest import DEV, LEAD

FAILURES = ["bad-url", "refused", "http-500", "malformed-json", "timeout"]


class Crash(BaseException):
    """Stops the process where it stands; no `except Exception` catches it."""


class EchoingFederation:
    """A broken federation endpoint that echoes the request (and so the session) back."""

    def __init__(self) -> None:
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.silent = socket.create_server(("127.0.0.1", 0))  # accepts, never answers

    def app(self, environ, start_response):
        request = Request(environ)
        echo = request.query_string.decode()
        if request.path == "/500":
            response = Response(f"internal error while handling {echo}", status=500)
        else:
            response = Response('{"SigninToken": "' + echo, mimetype="application/json")
        return response(environ, start_response)

    def url(self, failure: str) -> str:
        port = self.server.server_port
        return {"bad-url": "signin.invalid/federation",
                "refused": f"http://127.0.0.1:{_closed_port()}/federation",
                "http-500": f"http://127.0.0.1:{port}/500",
                "malformed-json": f"http://127.0.0.1:{port}/malformed",
                "timeout": f"http://127.0.0.1:{self.silent.getsockname()[1]}/federation"}[failure]

    def close(self) -> None:
        self.server.shutdown()
        self.silent.close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def broken_federation():
    fake = EchoingFederation()
    yield fake
    fake.close()




def spellings(secret: str) -> set[str]:
    """The secret as it is, URL-encoded (both ways) and JSON-escaped."""
    return {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret),
            json.dumps(secret)[1:-1]}


def approved_by_click(gh) -> int:
    number = gh.file(DEV, "request dev 1h click path")
    gh.client.click(LEAD, "approve", str(number), message=gh.request_message(number))
    gh.idle()
    return number


def approved_then_activated_by_the_sweep(gh) -> int:
    """Approval is stored, the process dies before activating; the sweep activates."""
    number = gh.file(DEV, "request prod-readonly 1h sweep path")
    grants = gh.gh.grants

    def dying(*_args, **_kwargs):
        raise Crash("activate")
    grants.activate = dying
    try:
        with pytest.raises(Crash):
            gh.gh.access.approve(number, LEAD, gh.clock())
    finally:
        del grants.activate
    assert gh.status(number) == "approved"
    gh.gh.sweep()
    gh.idle()
    return number


@pytest.mark.parametrize("failure", FAILURES)
def test_a_failing_federation_call_leaks_no_secret(gatehouse, captured_logs, broken_federation,
                                                   monkeypatch, failure):
    gh = gatehouse
    monkeypatch.setattr(aws.console, "FEDERATION_TIMEOUT_SECONDS", 0.3)
    gh.runtime.aws_grants.federation_url = broken_federation.url(failure)
    issued = issued_by_sts(gh)
    numbers = [approved_by_click(gh), approved_then_activated_by_the_sweep(gh)]
    assert len(issued) == 4, "both paths should have reached the federation call"
    db = Path(gh.env["GATEHOUSE_DB"])
    stored = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    logged = captured_logs.getvalue()
    posted = json.dumps([call.params for call in gh.slack.calls()], default=str)
    assert '"level": "warning"' in logged, "the logs were not captured"
    forms = {form for secret in issued for form in spellings(secret)}
    assert [f for f in forms if f in logged] == []
    assert [f for f in forms if f.encode() in stored] == []
    assert [f for f in forms if f in posted] == []
    assert "Traceback" not in logged
    for number in numbers:
        gh.wait_status(number, "failed")
    assert any("console link" in (m.text or "") for m in gh.dms(DEV)), "the failure was not told"
