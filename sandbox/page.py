"""The sandbox's Slack-like page: serves it, and turns what a demo user does into Slack requests."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from domain.text import escape
from fake_services.slack_models import File, Message, SlackError, User, View
from fake_services.slack_signing import SlackClient
from fake_services.slack_workspace import SlackWorkspace
from sandbox.page_state import user_state

log = logging.getLogger("gatehouse.sandbox")
STATIC = Path(__file__).with_name("static")
CONTENT_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css",
                 ".svg": "image/svg+xml", ".png": "image/png"}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
MAX_ADVANCE_MINUTES = 7 * 24 * 60
# Where each input element keeps what was entered, in `view.state.values`.
STATE_KEYS = {"static_select": "selected_option", "datepicker": "selected_date"}
# `@name` typed in the composer: not inside a word or an e-mail address, not already `<@…>`.
TYPED_MENTION = re.compile(r"(?<![\w<@.])@([A-Za-z0-9][A-Za-z0-9._-]*)")


class PageError(Exception):
    """Something the demo user did that cannot be sent; shown to them as is."""


@dataclass
class ClockControl:
    """The sandbox's clock buttons: move the bot's clock, then run what fell due: the sweep's
    jobs, then the daily digest once its time of day has passed."""

    now: Callable[[], datetime]
    advance: Callable[[int], datetime]
    sweep: Callable[[], int]
    idle: Callable[[], bool]
    daily: Callable[[], bool] = lambda: False

    def move(self, minutes: int) -> dict[str, Any]:
        if not 1 <= minutes <= MAX_ADVANCE_MINUTES:
            raise PageError("The clock moves forward by 1 minute to 7 days at a time.")
        self.advance(minutes)
        ran = 0
        for _ in range(5):  # jobs a sweep schedules for "now" run in the next one
            count = self.sweep()
            self.idle()
            ran += count
            if not count:
                break
        return {"ran": ran, "digest": self._daily_digest()}

    def _daily_digest(self) -> bool:
        try:
            posted = self.daily()
        except Exception:  # as the scheduler does: one failed run is logged, the page goes on
            log.exception("the daily digest failed")
            return False
        self.idle()
        return bool(posted)


class SandboxPage:
    """A WSGI app: the page, its static files and the endpoints its script calls."""

    def __init__(self, workspace: SlackWorkspace, client: SlackClient, clock: ClockControl,
                 demo: dict[str, Any], channel_names: dict[str, str]) -> None:
        self.workspace = workspace
        self.client = client
        self.clock = clock
        self.demo = demo
        self.channel_names = channel_names
        self._version = 0
        self._lock = threading.Lock()
        workspace.on_change.append(self._changed)

    def _changed(self, kind: str) -> None:
        if kind != "call":  # recorded API calls change nothing on the page
            with self._lock:
                self._version += 1

    @property
    def version(self) -> int:
        with self._lock:
            return self._version

    # -- HTTP --------------------------------------------------------------------------------

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self._route(request)
        except PageError as refusal:
            response = _json({"error": str(refusal)}, 400)
        except (SlackError, LookupError, ValueError, KeyError) as exc:
            response = _json({"error": f"That did not work: {exc}"}, 400)
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        if request.host.rsplit(":", 1)[0] not in LOCAL_HOSTS:
            return Response("The sandbox answers on 127.0.0.1 only.", status=403)
        path = request.path
        if request.method == "GET":
            return self._get(path, request)
        if request.method != "POST" or request.mimetype != "application/json":
            return Response("not found", status=404)
        body = request.get_json(silent=True)
        handler = self._posts().get(path)
        if handler is None or not isinstance(body, dict):
            return Response("not found", status=404)
        return _json(handler(body) or {"ok": True})

    def _get(self, path: str, request: Request) -> Response:
        if path in ("/", "/index.html"):
            return _static("index.html")
        if path.startswith("/static/"):
            return _static(path.removeprefix("/static/"))
        if path == "/page/version":
            return _json({"version": self.version})
        if path == "/page/state":
            user = request.args.get("user") or self.demo["users"][0]["id"]
            version = self.version  # read first: a change while building shows up next poll
            state = user_state(self.workspace, self._user(user), self.channel_names)
            return _json({**state, "version": version, "clock": self._clock_json(),
                          "demo": self.demo})
        if path.startswith("/page/file/"):
            return self._file(path.removeprefix("/page/file/"))
        return Response("not found", status=404)

    def _posts(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any] | None]]:
        return {"/page/send": self.send, "/page/action": self.action,
                "/page/submit": self.submit, "/page/close": self.close,
                "/page/home": self.open_home, "/page/clock": self.move_clock}

    # -- what a demo user does ---------------------------------------------------------------

    def send(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """Text from the message box: `/access …` is sent to the bot, the rest is posted."""
        user, channel = self._user(body.get("user")), str(body.get("channel") or "")
        text = str(body.get("text") or "").strip()
        if not channel or not text:
            raise PageError("Type a message or an /access command first.")
        members = self.workspace.users()
        if not text.startswith("/"):
            text = slack_mentions(escape(text), members, with_name=False)
            self.workspace.post_message(channel, text=text, user=user)
            return None
        text = slack_mentions(text, members, with_name=True)
        command, _, rest = text.partition(" ")
        if command != "/access":
            self.workspace.post_ephemeral(channel, user, source="slackbot", text=(
                f"`{escape(command)[:30]}` is not a command in this workspace. "
                "Try `/access help`."))
            return None
        response = self.client.command(user, rest.strip(), channel=channel)
        if response.status_code != 200:
            raise PageError(f"Gatehouse answered HTTP {response.status_code} to that command.")
        return None

    def action(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """A button clicked in a message, an ephemeral message, a modal or the Home."""
        user = self._user(body.get("user"))
        action_id, value = str(body.get("action_id") or ""), str(body.get("value") or "")
        block_id = body.get("block_id") or None
        surface = body.get("surface") or {}
        if surface.get("kind") == "view":
            view = self._view(str(surface.get("view_id")), user)
            response = self.client.click_in_view(user, action_id, value, view=view,
                                                 block_id=block_id)
        else:
            message = self._message(surface, user)
            channel = getattr(message, "channel", None) or str(surface.get("channel") or "")
            response = self.client.click(user, action_id, value, message=message,
                                         channel=channel, block_id=block_id)
        if response.status_code != 200:
            raise PageError(f"Gatehouse answered HTTP {response.status_code} to that click.")
        return None

    def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        """A modal's submit button: its inputs become `view.state.values`."""
        user = self._user(body.get("user"))
        view = self._view(str(body.get("view_id")), user)
        values = input_states(view, body.get("values") or {})
        response = self.client.submit_view(user, view.callback_id, values, view=view)
        if response.status_code != 200:
            raise PageError(f"Gatehouse answered HTTP {response.status_code} to that form.")
        answer = json.loads(response.content or b"null") or {}
        if isinstance(answer, dict) and answer.get("response_action") == "errors":
            return {"errors": answer.get("errors", {})}
        return {"ok": True}

    def close(self, body: dict[str, Any]) -> None:
        user = self._user(body.get("user"))
        view = self._view(str(body.get("view_id")), user)
        # With no response_action Slack closes the submitted view; Cancel does the same.
        self.workspace.view_store.after_submission(view.id, None)

    def open_home(self, body: dict[str, Any]) -> None:
        response = self.client.app_home_opened(self._user(body.get("user")))
        if response.status_code != 200:
            raise PageError(f"Gatehouse answered HTTP {response.status_code} to app_home_opened.")

    def move_clock(self, body: dict[str, Any]) -> dict[str, Any]:
        minutes = body.get("minutes")
        if not isinstance(minutes, int) or isinstance(minutes, bool):
            raise PageError("Say how many minutes to move the clock forward.")
        result = self.clock.move(minutes)
        with self._lock:
            self._version += 1
        return {**result, "clock": self._clock_json()}

    # -- look-ups ----------------------------------------------------------------------------

    def _user(self, user: Any) -> str:
        if user not in {u["id"] for u in self.demo["users"]}:
            raise PageError("Pick one of the demo users first.")
        return str(user)

    def _view(self, view_id: str, user: str) -> View:
        view = self.workspace.view_store.get(view_id)
        if view.user not in (None, user):
            raise PageError("That view belongs to another user.")
        return view

    def _message(self, surface: dict[str, Any], user: str) -> Message | Any:
        ts = str(surface.get("ts") or "")
        if surface.get("kind") == "ephemeral":
            found = [e for e in self.workspace.ephemerals(user) if e.ts == ts]
        else:
            channel = str(surface.get("channel") or "")
            found = [m for m in self.workspace.messages(channel, replies=True) if m.ts == ts]
        if not found:
            raise PageError("That message is gone; the page has been refreshed.")
        return found[-1]

    def _file(self, file_id: str) -> Response:
        files: list[File] = [f for f in self.workspace.files() if f.id == file_id]
        if not files:
            return Response("not found", status=404)
        kind = CONTENT_TYPES.get(Path(files[0].name).suffix, "application/octet-stream")
        return Response(files[0].content, mimetype=kind)

    def _clock_json(self) -> dict[str, Any]:
        now = self.clock.now()
        return {"now": now.isoformat(), "label": now.strftime("%a %d %b %Y, %H:%M UTC")}


def slack_mentions(text: str, members: Iterable[User], *, with_name: bool) -> str:
    """`@erin` becomes `<@U0ENGINEER|erin>` in a command (Slack escapes mentions for commands
    whose manifest says `should_escape`) and `<@U0ENGINEER>` in a message; unknown names stay."""
    by_handle = {m.name.lower(): m for m in members}

    def mention(match: re.Match[str]) -> str:
        typed = match.group(1).rstrip("._-")
        member = by_handle.get(typed.lower())
        if member is None:
            return match.group(0)
        rest = match.group(1)[len(typed):]
        return (f"<@{member.id}|{member.name}>" if with_name else f"<@{member.id}>") + rest
    return TYPED_MENTION.sub(mention, text)


def input_states(view: View, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`{block_id: {action_id: entered}}` from the page -> Slack's state for each input."""
    states: dict[str, dict[str, Any]] = {}
    for block in view.blocks:
        if block.get("type") != "input" or not isinstance(block.get("element"), dict):
            continue
        element = block["element"]
        action_id = str(element.get("action_id", ""))
        entered = (values.get(block.get("block_id", "")) or {}).get(action_id)
        states[block.get("block_id", "")] = {action_id: _state(element, entered)}
    return states


def _state(element: dict[str, Any], entered: Any) -> dict[str, Any]:
    kind = str(element.get("type", "plain_text_input"))
    key = STATE_KEYS.get(kind, "value")
    entered = entered if entered not in ("", None) else None
    if key == "selected_option" and entered is not None:
        options = element.get("options", []) + [
            o for g in element.get("option_groups", []) for o in g.get("options", [])]
        entered = next((o for o in options if o.get("value") == entered), None)
        if entered is None:
            raise PageError("That choice is not one of the options.")
    return {"type": kind, key: entered}


def _static(name: str) -> Response:
    allowed = {p.name: p for p in STATIC.iterdir() if p.is_file()}
    if name not in allowed:
        return Response("not found", status=404)
    kind = CONTENT_TYPES.get(allowed[name].suffix, "application/octet-stream")
    response = Response(allowed[name].read_bytes(), mimetype=kind)
    response.headers["Cache-Control"] = "no-store"
    return response


def _json(body: dict[str, Any], status: int = 200) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response

