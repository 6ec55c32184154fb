"""The HTTP edge: only signed requests are read, bodies are capped, refusals log no body."""

from __future__ import annotations

import time

import pytest
import requests

from fake_services.slack_signing import sign, signed_headers
from http_app import MAX_BODY_BYTES, signature_problem
from tests.e2e.conftest import DEV, SECRET

MARKER = "planted-body-marker"
FORM = "application/x-www-form-urlencoded"




def post(gh, body: str | bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{gh.url}/slack/events", data=body, headers=headers, timeout=30)


def signed(body: str, content_type: str = FORM) -> dict[str, str]:
    return signed_headers(SECRET, body, int(time.time()), content_type)


def test_unsigned_garbage_is_401_without_parsing_or_logging_it(gatehouse, captured_logs):
    gh = gatehouse
    for body, content_type in [("{" + MARKER, "application/json"),
                               (f"payload=%7B{MARKER}", FORM), (MARKER * 3, "text/plain")]:
        response = post(gh, body, {"Content-Type": content_type})
        assert response.status_code == 401, body
    logged = captured_logs.getvalue()
    assert MARKER not in logged and "Traceback" not in logged
    assert "refused an unsigned request" in logged


def test_a_timestamp_that_is_not_a_number_is_401(gatehouse, captured_logs):
    gh = gatehouse
    body = f"command=/access&text=list&user_id={DEV}"
    headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": "abc",
               "X-Slack-Signature": sign(SECRET, body, int(time.time()))}
    assert post(gh, body, headers).status_code == 401
    assert [c for c in gh.slack.calls() if c.method != "auth.test"] == []
    assert "Traceback" not in captured_logs.getvalue()


@pytest.mark.parametrize("size", [MAX_BODY_BYTES + 1, 5 * 1024 * 1024])
def test_an_oversized_body_is_refused_and_not_logged(gatehouse, captured_logs, size):
    gh = gatehouse
    body = (MARKER * (size // len(MARKER) + 1))[:size]
    response = post(gh, body, signed(body))
    assert response.status_code in (401, 413)
    logged = captured_logs.getvalue()
    assert MARKER not in logged and len(logged) < 2000


@pytest.mark.parametrize("body,content_type", [
    ("payload=%7Bnot-json", FORM),
    ('{"type": "event_callback", "event": ', "application/json"),
    ("payload=%5B1%2C2%5D", FORM),
])
def test_a_malformed_signed_body_gets_400_in_words(gatehouse, captured_logs, body, content_type):
    gh = gatehouse
    response = post(gh, body, signed(body, content_type))
    assert response.status_code == 400
    assert "could not read this request" in response.json()["text"]
    assert "Traceback" not in captured_logs.getvalue()


def test_a_signed_request_still_reaches_gatehouse(gatehouse):
    gh = gatehouse
    gh.command(DEV, "help")
    gh.answer(DEV, "/access")


def test_signature_problems_are_named():
    body, now = b"a=1", 1_700_000_000
    good = sign(SECRET, body.decode(), now)
    assert signature_problem(SECRET, body, str(now), good, now) is None
    assert "Timestamp" in signature_problem(SECRET, body, "abc", good, now)
    assert "Timestamp" in signature_problem(SECRET, body, "١٢٣", good, now)
    assert "5 minutes" in signature_problem(SECRET, body, str(now - 301), good, now)
    assert "wrong" in signature_problem(SECRET, body + b"x", str(now), good, now)
    assert "missing" in signature_problem(SECRET, body, str(now), None, now)
    assert "no signing secret" in signature_problem(None, body, str(now), good, now)


def test_waitress_refuses_bodies_over_the_cap_itself(monkeypatch):
    from types import SimpleNamespace

    import waitress

    import cli

    options: dict = {}
    monkeypatch.setattr(waitress, "serve", lambda app, **kwargs: options.update(kwargs))
    cli.serve_http(SimpleNamespace(env=SimpleNamespace(host="127.0.0.1", port=0),
                                   wsgi=lambda: None))
    assert options["max_request_body_size"] == MAX_BODY_BYTES
