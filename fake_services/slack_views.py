"""Modals, their stacks, App Home tabs and trigger ids of the fake Slack workspace."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from fake_services.slack_models import SlackError, View

TRIGGER_LIFETIME = 3.0  # seconds Slack lets an app use a trigger id
MAX_STACK = 3  # modals Slack keeps in one stack


@dataclass
class _Trigger:
    user: str | None
    issued_at: float
    used: bool = False


class ViewStore:
    """Views by id; trigger ids expire after three seconds and serve once, as in Slack.

    Trigger ids this store did not issue are accepted, with no user attached.
    """

    def __init__(self, lock: threading.RLock, clock: Callable[[], float],
                 new_id: Callable[[str], str], notify: Callable[[str], None]) -> None:
        self._lock, self._clock, self._new_id, self._notify = lock, clock, new_id, notify
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._views: dict[str, View] = {}
            self._homes: dict[str, str] = {}
            self._triggers: dict[str, _Trigger] = {}

    def issue_trigger(self, user: str | None) -> str:
        """A fresh trigger id, as Slack puts in a command or interaction payload."""
        now = self._clock()
        trigger_id = f"{int(now)}.{self._new_id('')}.{secrets.token_hex(16)}"
        with self._lock:
            self._triggers[trigger_id] = _Trigger(user, now)
        return trigger_id

    def _claim(self, trigger_id: str | None) -> str | None:
        if not trigger_id:
            raise SlackError("invalid_arguments")
        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            return None
        if trigger.used or self._clock() - trigger.issued_at > TRIGGER_LIFETIME:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger.user

    def open(self, trigger_id: str | None, definition: dict[str, Any]) -> View:
        """`views.open`: a new modal, root of its own stack."""
        with self._lock:
            user = self._claim(trigger_id)
            view = self._store(self._new_view(user, definition))
        self._notify("view.opened")
        return view

    def push(self, trigger_id: str | None, definition: dict[str, Any]) -> View:
        """`views.push`: a modal on top of the user's open one."""
        with self._lock:
            user = self._claim(trigger_id)
            top = self._top_modal(user)
            if top is not None and len(self._stack(top)) >= MAX_STACK:
                raise SlackError("push_limit_reached")
            view = self._new_view(user, definition, previous=top)
            view = self._store(view)
        self._notify("view.pushed")
        return view

    def update(self, definition: dict[str, Any], *, view_id: str | None = None,
               external_id: str | None = None, hash: str | None = None) -> View:
        """`views.update`, found by id or external id; a stale `hash` is refused."""
        with self._lock:
            old = self._find(view_id, external_id)
            if hash and hash != old.hash:
                raise SlackError("hash_conflict")
            external_id = definition.get("external_id") or old.external_id
            view = self._store(replace(old, definition=definition, hash=self._new_hash(),
                                       external_id=external_id))
        self._notify("view.updated")
        return view

    def publish(self, user: str, definition: dict[str, Any], hash: str | None = None) -> View:
        """`views.publish`: the user's App Home tab."""
        if definition.get("type") != "home":
            raise SlackError("invalid_arguments")
        with self._lock:
            old = self._views.get(self._homes.get(user, ""))
            if old is not None and hash and hash != old.hash:
                raise SlackError("hash_conflict")
            view = self._new_view(user, definition)
            view = self._store(replace(view, id=old.id) if old else view)
            self._homes[user] = view.id
        self._notify("home.published")
        return view

    def after_submission(self, view_id: str, response: dict[str, Any] | None) -> None:
        """Do what Slack does with the app's answer to a `view_submission`."""
        response = response or {}
        action = response.get("response_action")
        if action == "errors":
            return
        if action == "update":
            self.update(response.get("view", {}), view_id=view_id)
        elif action == "push":
            with self._lock:
                top = self._views[view_id]
                self._store(self._new_view(top.user, response.get("view", {}), previous=top))
            self._notify("view.pushed")
        else:
            self._close(view_id, whole_stack=action == "clear")

    def _close(self, view_id: str, *, whole_stack: bool) -> None:
        with self._lock:
            view = self._views[view_id]
            closing = self._stack(view) if whole_stack else [view]
            for each in closing:
                self._views[each.id] = replace(each, is_open=False)
        self._notify("view.closed")

    # -- queries -----------------------------------------------------------------------------

    def get(self, view_id: str) -> View:
        with self._lock:
            return self._find(view_id, None)

    def modals(self, user: str | None = None) -> list[View]:
        """Modals in the order they were opened, closed ones included."""
        with self._lock:
            return [v for v in self._views.values()
                    if v.type == "modal" and (user is None or v.user == user)]

    def home(self, user: str) -> View | None:
        with self._lock:
            return self._views.get(self._homes.get(user, ""))

    def open_modal(self, user: str | None, callback_id: str | None = None) -> View | None:
        """The user's most recent open modal, optionally with a given callback id."""
        with self._lock:
            candidates = [v for v in self.modals(user) if v.is_open
                          and (callback_id is None or v.callback_id == callback_id)]
            return candidates[-1] if candidates else None

    # -- helpers -----------------------------------------------------------------------------

    def _new_view(self, user: str | None, definition: dict[str, Any],
                  previous: View | None = None) -> View:
        root = (previous.root_view_id or previous.id) if previous else None
        return View(self._new_id("V"), user, definition, self._new_hash(),
                    definition.get("external_id"), root, previous.id if previous else None)

    def _new_hash(self) -> str:
        return f"{self._clock():.6f}.{secrets.token_hex(4)}"

    def _store(self, view: View) -> View:
        self._views[view.id] = view
        return view

    def _find(self, view_id: str | None, external_id: str | None) -> View:
        if view_id and view_id in self._views:
            return self._views[view_id]
        for view in self._views.values():
            if external_id and view.external_id == external_id:
                return view
        raise SlackError("not_found")

    def _top_modal(self, user: str | None) -> View | None:
        return self.open_modal(user) if user is not None else None

    def _stack(self, view: View) -> list[View]:
        root = view.root_view_id or view.id
        return [v for v in self._views.values()
                if v.is_open and (v.id == root or v.root_view_id == root)]
