"""A local PagerDuty REST API stand-in over HTTP: `/oncalls` and `/users/{id}`, slow or failing."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from fake_services.stand_in import ThreadedStandIn

DEFAULT_LIMIT = 25


@dataclass
class PdUser:
    id: str
    name: str
    email: str

    def reference(self) -> dict[str, Any]:
        """How `/oncalls` names a user without `include[]=users`: no e-mail."""
        return {"id": self.id, "type": "user_reference", "summary": self.name,
                "self": f"https://api.pagerduty.com/users/{self.id}"}

    def full(self) -> dict[str, Any]:
        return {**self.reference(), "type": "user", "name": self.name, "email": self.email}


@dataclass
class Call:
    path: str
    query: list[tuple[str, str]]
    authorized: bool


@dataclass
class _Behaviour:
    status: int | None = None  # answer every request with this HTTP status
    delay: float = 0.0  # seconds before answering
    hang: bool = False  # never answer until the stand-in stops
    embed_users: bool = True  # honour `include[]=users`
    calls: list[Call] = field(default_factory=list)


class FakePagerDuty(ThreadedStandIn):
    """Schedules, users and who is on call in which schedule, served on a background thread.

    Point the client at `url` (`PAGERDUTY_API_URL`) with the token `token`. Set `status`,
    `delay`, `hang` or `embed_users` (through `behave`) to make it fail, slow or terse.
    """

    def __init__(self, token: str = "pd-test-token", host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self.token = token
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._users: dict[str, PdUser] = {}
        self._schedules: dict[str, str] = {}
        self._on_call: list[tuple[str, str]] = []  # (schedule id, user id)
        self._behaviour = _Behaviour()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakePagerDuty:
        self._released.clear()
        self._serve("fake-pagerduty")
        return self

    def stop(self) -> None:
        self._released.set()
        self._shut()

    # -- set-up and recordings ---------------------------------------------------------------

    def add_user(self, user_id: str, name: str, email: str) -> None:
        with self._lock:
            self._users[user_id] = PdUser(user_id, name, email)

    def add_schedule(self, schedule_id: str, name: str) -> None:
        with self._lock:
            self._schedules[schedule_id] = name

    def put_on_call(self, schedule_id: str, user_id: str) -> None:
        with self._lock:
            self._on_call.append((schedule_id, user_id))

    def clear_on_call(self) -> None:
        with self._lock:
            self._on_call.clear()

    def behave(self, *, status: int | None = None, delay: float = 0.0, hang: bool = False,
               embed_users: bool = True) -> None:
        """Answer from now on with this status, after this delay, or never; keeps recordings."""
        with self._lock:
            calls = self._behaviour.calls
            self._behaviour = _Behaviour(status, delay, hang, embed_users, calls)

    def reset(self) -> None:
        """Forget users, schedules, on-calls, recordings and behaviour; release hung requests."""
        self._released.set()
        with self._lock:
            self._users.clear()
            self._schedules.clear()
            self._on_call.clear()
            self._behaviour = _Behaviour()
        self._released.clear()

    def calls(self, path_prefix: str = "") -> list[Call]:
        with self._lock:
            return [c for c in self._behaviour.calls if c.path.startswith(path_prefix)]

    # -- HTTP --------------------------------------------------------------------------------

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            behaviour = self._behaviour
            authorized = request.headers.get("Authorization") == f"Token token={self.token}"
            behaviour.calls.append(Call(request.path, list(request.args.items(multi=True)),
                                        authorized))
        if behaviour.hang:
            self._released.wait()
        elif behaviour.delay:
            time.sleep(behaviour.delay)
        return self._answer(request, behaviour, authorized)(environ, start_response)

    def _answer(self, request: Request, behaviour: _Behaviour, authorized: bool) -> Response:
        if behaviour.status is not None:
            return _json({"error": {"message": "Internal Server Error", "code": 2010}},
                         behaviour.status)
        if not authorized:
            return _json({"error": {"message": "Unauthorized", "code": 2006}}, 401)
        if request.path == "/oncalls":
            return _json(self._oncalls(request, behaviour.embed_users))
        if request.path.startswith("/users/"):
            user = self._users.get(request.path.removeprefix("/users/"))
            if user is None:
                return _json({"error": {"message": "Not Found", "code": 2100}}, 404)
            return _json({"user": user.full()})
        return _json({"error": {"message": "Not Found", "code": 2100}}, 404)

    def _oncalls(self, request: Request, embed_users: bool) -> dict[str, Any]:
        wanted = set(request.args.getlist("schedule_ids[]"))
        full = embed_users and "users" in request.args.getlist("include[]")
        limit = int(request.args.get("limit", DEFAULT_LIMIT))
        offset = int(request.args.get("offset", 0))
        with self._lock:
            entries = [self._entry(s, u, full) for s, u in self._on_call
                       if not wanted or s in wanted]
        page = entries[offset:offset + limit]
        return {"oncalls": page, "limit": limit, "offset": offset, "total": None,
                "more": offset + limit < len(entries)}

    def _entry(self, schedule_id: str, user_id: str, full: bool) -> dict[str, Any]:
        user = self._users[user_id]
        return {"user": user.full() if full else user.reference(),
                "schedule": {"id": schedule_id, "type": "schedule_reference",
                             "summary": self._schedules.get(schedule_id, schedule_id)},
                "escalation_policy": {"id": "PEP0001", "type": "escalation_policy_reference"},
                "escalation_level": 1, "start": None, "end": None}


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
