"""The HTTP edge: size cap and Slack signature on the raw body before anything parses it."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from metrics import Metrics

log = logging.getLogger("gatehouse.http")

MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are a few KB; a view with 100 blocks < 1 MB
MAX_CLOCK_SKEW_SECONDS = 5 * 60
SLACK_PATH = "/slack/events"
StartResponse = Callable[..., Any]
Wsgi = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def signature_problem(secret: str | None, body: bytes, timestamp: str | None,
                      signature: str | None, now: float) -> str | None:
    """Why the request is not Slack's (None when it is): `v0=` HMAC-SHA256 of `v0:{ts}:{body}`."""
    if not secret:
        return "no signing secret is configured"
    if not timestamp or not timestamp.isascii() or not timestamp.isdigit():
        return "missing or malformed X-Slack-Request-Timestamp"
    if abs(now - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        return "X-Slack-Request-Timestamp is more than 5 minutes off"
    if not signature:
        return "missing X-Slack-Signature"
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return "wrong X-Slack-Signature"
    return None


def create_wsgi_app(bolt_app: Any, health: Callable[[], Mapping[str, bool]],
                    signing_secret: str | None, *, max_body_bytes: int = MAX_BODY_BYTES,
                    clock: Callable[[], float] = time.time, metrics: Metrics | None = None,
                    slack_events: bool = True) -> Wsgi:
    """`POST /slack/events` (checked, then handed to Bolt), `GET /healthz`, `GET /metrics`.

    With `slack_events=False` (Socket Mode's listener) only the last two are served.
    """
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    slack = SlackRequestHandler(bolt_app, path=SLACK_PATH) if slack_events else None
    served = ("POST /slack/events, " if slack else "") + "GET /healthz and GET /metrics"

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/healthz" and method == "GET":
            return _health(health, start_response)
        if path == "/metrics" and method == "GET" and metrics is not None:
            return _metrics(metrics, start_response)
        if slack is None or path != SLACK_PATH or method != "POST":
            return _answer(start_response, "404 Not Found", f"Gatehouse serves {served} only.")
        started = time.perf_counter()
        body = _read_capped(environ, max_body_bytes)
        if body is None:
            log.warning("refused an oversized request", extra={"limit": max_body_bytes})
            return _answer(start_response, "413 Payload Too Large",
                           f"Request bodies are limited to {max_body_bytes} bytes.")
        problem = signature_problem(signing_secret, body,
                                    environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
                                    environ.get("HTTP_X_SLACK_SIGNATURE"), clock())
        if problem:
            log.warning("refused an unsigned request", extra={"why": problem,
                                                              "bytes": len(body)})
            return _answer(start_response, "401 Unauthorized", "Not signed by Slack.")
        answer = _to_bolt(slack, environ, body, start_response)
        if metrics is not None:
            metrics.ack_seconds.observe(time.perf_counter() - started)
        return answer
    return application


def _read_capped(environ: dict[str, Any], limit: int) -> bytes | None:
    """The body, or None when it is over `limit` (without reading past the limit)."""
    declared = str(environ.get("CONTENT_LENGTH") or "0")
    if not declared.isdigit():
        return b""
    if int(declared) > limit:
        return None
    body = environ["wsgi.input"].read(int(declared)) if int(declared) else b""
    return body if len(body) <= limit else None


def _to_bolt(slack: Any, environ: dict[str, Any], body: bytes,
             start_response: StartResponse) -> Iterable[bytes]:
    environ = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
    try:
        return slack(environ, start_response)
    except Exception as exc:  # a signed payload Bolt cannot read: say so, keep no traceback
        log.warning("could not read a signed request", extra={"error": type(exc).__name__})
        return _answer(start_response, "400 Bad Request",
                       "Gatehouse could not read this request: its body is not a Slack payload "
                       "(form fields or JSON) it understands.")


def _health(health: Callable[[], Mapping[str, bool]],
            start_response: StartResponse) -> Iterable[bytes]:
    checks = dict(health())
    ok = all(checks.values())
    body = json.dumps({"status": "ok" if ok else "unavailable", **checks}).encode()
    start_response("200 OK" if ok else "503 Service Unavailable",
                   [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _metrics(metrics: Metrics, start_response: StartResponse) -> Iterable[bytes]:
    content_type, body = metrics.exposition()
    start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def _answer(start_response: StartResponse, status: str, text: str) -> Iterable[bytes]:
    body = json.dumps({"text": text}).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body)))])
    return [body]
