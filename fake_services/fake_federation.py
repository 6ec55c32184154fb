"""A stand-in for the AWS federation endpoint: hands out sign-in tokens, shows a login page."""

from __future__ import annotations

import html
import json
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Do not log each request (its query holds a session token)."""


TOKEN_LIFETIME = timedelta(minutes=15)  # as AWS: a sign-in token is good for 15 minutes
SessionEnd = Callable[[str], datetime | None]


@dataclass(frozen=True)
class SigninToken:
    access_key_id: str
    issued_at: datetime


class FakeFederation:
    """Answers `Action=getSigninToken` and `Action=login` like signin.aws.amazon.com.

    `session_end(access_key_id)` says when the credentials a token was made from stop working
    (None: never issued); by default every session is taken as still valid.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 clock: Callable[[], datetime] | None = None,
                 session_end: SessionEnd | None = None) -> None:
        self._host, self._port = host, port
        self._server: BaseWSGIServer | None = None
        self.tokens_issued = 0
        self._tokens: dict[str, SigninToken] = {}
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._session_end = session_end
        self._lock = threading.Lock()

    def start(self) -> FakeFederation:
        self._server = make_server(self._host, self._port, self.wsgi_app, threaded=True,
                                   request_handler=_Quiet)
        threading.Thread(target=self._server.serve_forever, daemon=True,
                         name="fake-federation").start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://{self._host}:{self._server.server_port}/federation"

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        action = request.args.get("Action")
        if action == "getSigninToken":
            response = self._token(request)
        elif action == "login":
            response = self._login(request)
        else:
            response = Response("unknown action", status=400)
        return response(environ, start_response)

    def _token(self, request: Request) -> Response:
        try:
            session = json.loads(request.args.get("Session", ""))
            assert {"sessionId", "sessionKey", "sessionToken"} <= set(session)
        except (ValueError, AssertionError):
            return Response("bad session", status=400)
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.tokens_issued += 1
            self._tokens[token] = SigninToken(str(session["sessionId"]), self._clock())
        return Response(json.dumps({"SigninToken": token}), mimetype="application/json")

    def _login(self, request: Request) -> Response:
        """The console's answer to a sign-in link: signed in, or why not."""
        with self._lock:
            token = self._tokens.get(request.args.get("SigninToken", ""))
        if token is None:
            return _console_page("Sign-in failed", "This sign-in link is not valid: no such "
                                 "sign-in token was issued.", 400)
        now = self._clock()
        ends = self._session_end(token.access_key_id) if self._session_end else None
        if self._session_end and ends is None:
            return _console_page("Sign-in failed", "AWS never issued the credentials behind "
                                 "this link.", 400)
        if ends is not None and now >= ends:
            return _console_page("Session expired", "The credentials behind this link expired "
                                 f"at {_moment(ends)}: the grant has ended.", 403)
        if now >= token.issued_at + TOKEN_LIFETIME:
            return _console_page("Sign-in link expired", "This sign-in link expired at "
                                 f"{_moment(token.issued_at + TOKEN_LIFETIME)} (AWS sign-in "
                                 "links last 15 minutes).", 403)
        return _console_page("Signed in", "Signed in with a Gatehouse grant.", 200)


def _moment(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _console_page(title: str, text: str, status: int) -> Response:
    body = (f"<!doctype html><title>{html.escape(title)}</title><h1>AWS console (sandbox)</h1>"
            f"<h2>{html.escape(title)}</h2><p>{html.escape(text)}</p>")
    return Response(body, status=status, mimetype="text/html")
