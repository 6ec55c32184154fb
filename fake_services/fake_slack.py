"""A fake Slack Web API over HTTP, backed by a SlackWorkspace, for the tests and the sandbox."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from werkzeug.wrappers import Request, Response

from fake_services.slack_models import (
    Call,
    Ephemeral,
    File,
    Message,
    ResponseTarget,
    SlackError,
    User,
    View,
)
from fake_services.slack_web_api import SlackWebApi, decode_params
from fake_services.slack_workspace import ChangeHook, SlackWorkspace
from fake_services.stand_in import ThreadedStandIn

T = TypeVar("T")
WsgiEnviron = dict[str, Any]
StartResponse = Callable[..., Any]


@dataclass
class _Fault:
    status: int
    retry_after: int
    error: str | None
    remaining: int


class FakeSlack(ThreadedStandIn):
    """Serves `/api/<method>`, response URLs and file upload URLs on a background thread.

    Point the app at `api_url` (`SLACK_API_URL`, or `WebClient(base_url=...)`); read what
    it did through the recording methods, which delegate to `workspace`.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 workspace: SlackWorkspace | None = None) -> None:
        self.workspace = workspace or SlackWorkspace()
        self.api = SlackWebApi(self.workspace, self.upload_url)
        super().__init__(host, port)
        self._faults: dict[str, list[_Fault]] = {}
        self._faults_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        self._serve("fake-slack")
        return self

    def stop(self) -> None:
        self._shut()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """Base URL of the Web API, ending in `/api/`, for `SLACK_API_URL`."""
        return f"{self.url}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.url}/respond/{name}"

    def upload_url(self, file_id: str) -> str:
        return f"{self.url}/upload/{file_id}"

    # -- fault injection ---------------------------------------------------------------------

    def fail_next(self, method: str, *, status: int = 429, retry_after: int = 1,
                  error: str | None = None, times: int = 1) -> None:
        """Fail the next `times` calls of `method`.

        With `error`: HTTP 200 and `ok: false, error: <error>`. Otherwise HTTP `status`:
        429 carries a `Retry-After` header, as Slack's rate limiting does.
        """
        if error is None and status < 400:
            raise ValueError("give an error code or an HTTP error status")
        with self._faults_lock:
            self._faults.setdefault(method, []).append(_Fault(status, retry_after, error, times))

    def _take_fault(self, method: str) -> _Fault | None:
        with self._faults_lock:
            pending = self._faults.get(method, [])
            while pending and pending[0].remaining <= 0:
                pending.pop(0)
            if not pending:
                return None
            pending[0].remaining -= 1
            return pending[0]

    # -- HTTP --------------------------------------------------------------------------------

    def wsgi_app(self, environ: WsgiEnviron, start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI application, usable on its own or mounted under another one."""
        return self._route(Request(environ))(environ, start_response)

    def _route(self, request: Request) -> Response:
        section, _, rest = request.path.lstrip("/").partition("/")
        if section == "api" and rest:
            return self._api(rest, request)
        if section == "respond" and request.method == "POST":
            return self._respond(rest, request)
        if section == "upload" and request.method == "POST":
            return self._upload(rest, request)
        return Response("not found", status=404)

    def _api(self, method: str, request: Request) -> Response:
        params, token = read_params(request)
        fault = self._take_fault(method)
        if fault is None:
            return _json(self.api.call(method, params, token))
        error = fault.error or ("ratelimited" if fault.status == 429 else "fatal_error")
        self.workspace.record_call(method, decode_params(params), token, error)
        if fault.error is not None:
            return _json({"ok": False, "error": error})
        headers = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else {}
        return _json({"ok": False, "error": error}, status=fault.status, headers=headers)

    def _respond(self, name: str, request: Request) -> Response:
        payload = request.get_json(force=True, silent=True)
        if not isinstance(payload, dict):
            return Response("invalid_payload", status=400)
        try:
            self.workspace.respond(name, payload)
        except SlackError as error:
            self.workspace.record_call("response_url", {"name": name, **payload}, None, error.code)
            return Response(error.code, status=404, mimetype="text/plain")
        self.workspace.record_call("response_url", {"name": name, **payload}, None)
        return Response("ok", mimetype="text/plain")

    def _upload(self, file_id: str, request: Request) -> Response:
        if request.mimetype == "multipart/form-data" and request.files:
            content = next(iter(request.files.values())).read()
        else:
            content = request.get_data()
        try:
            self.workspace.receive_upload(file_id, content)
        except SlackError:
            return Response("file not found", status=404)
        return Response(f"OK - {len(content)}", mimetype="text/plain")

    # -- workspace set-up and recordings -----------------------------------------------------

    def add_user(self, user_id: str, name: str | None = None, *, email: str | None = None,
                 tz: str = "UTC", real_name: str | None = None) -> User:
        return self.workspace.add_user(user_id, name, email=email, tz=tz, real_name=real_name)

    def add_usergroup(self, group_id: str, users: Iterable[str], *, handle: str | None = None,
                      name: str | None = None) -> None:
        self.workspace.add_usergroup(group_id, users, handle=handle, name=name)

    def issue_trigger(self, user: str | None) -> str:
        return self.workspace.issue_trigger(user)

    def expect_response(self, name: str, target: ResponseTarget) -> None:
        self.workspace.expect_response(name, target)

    @property
    def on_change(self) -> list[ChangeHook]:
        return self.workspace.on_change

    def calls(self, method: str | None = None) -> list[Call]:
        return self.workspace.calls(method)

    def messages(self, channel: str, *, replies: bool = False) -> list[Message]:
        return self.workspace.messages(channel, replies=replies)

    def thread(self, channel: str, ts: str) -> list[Message]:
        return self.workspace.thread(channel, ts)

    def ephemerals(self, user: str | None = None) -> list[Ephemeral]:
        return self.workspace.ephemerals(user)

    def views(self, user: str | None = None) -> list[View]:
        return self.workspace.views(user)

    def home(self, user: str) -> View | None:
        return self.workspace.home(user)

    def files(self) -> list[File]:
        return self.workspace.files()

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        return self.workspace.wait_for(predicate, timeout)

    def reset(self) -> None:
        """Forget messages, views, files, calls and pending faults; keep users and groups."""
        with self._faults_lock:
            self._faults.clear()
        self.workspace.reset()


def read_params(request: Request) -> tuple[dict[str, Any], str | None]:
    """Method parameters from the query string and a form or JSON body, and the token."""
    params: dict[str, Any] = request.args.to_dict()
    if request.mimetype == "application/json":
        body = request.get_json(silent=True)
        params.update(body if isinstance(body, dict) else {})
    else:
        params.update(request.form.to_dict())
    token = params.pop("token", None)
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("Bearer "):
        token = authorization.removeprefix("Bearer ").strip()
    return params, token


def _json(body: dict[str, Any], status: int = 200,
          headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers,
                    mimetype="application/json")
