"""A stand-in for the AWS federation endpoint: hands out sign-in tokens, shows a login page."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Do not log each request (its query holds a session token)."""


class FakeFederation:
    """Answers `Action=getSigninToken` and `Action=login` like signin.aws.amazon.com."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host, self._port = host, port
        self._server: BaseWSGIServer | None = None
        self.tokens_issued = 0
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
            response = Response("<h1>AWS console (sandbox)</h1><p>Signed in with a Gatehouse "
                                "grant.</p>", mimetype="text/html")
        else:
            response = Response("unknown action", status=400)
        return response(environ, start_response)

    def _token(self, request: Request) -> Response:
        try:
            session = json.loads(request.args.get("Session", ""))
            assert {"sessionId", "sessionKey", "sessionToken"} <= set(session)
        except (ValueError, AssertionError):
            return Response("bad session", status=400)
        with self._lock:
            self.tokens_issued += 1
        return Response(json.dumps({"SigninToken": secrets.token_urlsafe(24)}),
                        mimetype="application/json")
