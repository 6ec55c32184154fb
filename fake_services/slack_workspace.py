"""State of a fake Slack workspace, shared by the fake Web API server and the sandbox page."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, TypeVar

from fake_services.slack_files import FileStore
from fake_services.slack_models import (
    BOT_USER_ID,
    Blocks,
    Call,
    Ephemeral,
    File,
    Message,
    MessageVersion,
    ResponseTarget,
    SlackError,
    User,
    View,
)
from fake_services.slack_usergroups import UserGroupDirectory
from fake_services.slack_views import ViewStore

ChangeHook = Callable[[str], None]
T = TypeVar("T")
log = logging.getLogger(__name__)


class SlackWorkspace:
    """Users, channels, messages, ephemerals, views, files and recorded calls, behind one lock.

    Every change calls each hook in `on_change` with the kind of change (for example
    `"message.posted"`), after the lock is released.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.on_change: list[ChangeHook] = []
        self._lock = threading.RLock()
        self._changed = threading.Condition()
        self._version = 0
        self._ids = itertools.count(1)
        self._users: dict[str, User] = {}
        self.usergroups = UserGroupDirectory(self._lock, clock)
        self._last_ts = 0  # microseconds of the newest timestamp; never goes back
        self.view_store = ViewStore(self._lock, clock, self.new_id, self.notify)
        self.file_store = FileStore(self._lock, self.new_id)
        self._clear()

    def _clear(self) -> None:
        self._messages: dict[str, dict[str, Message]] = {}
        self._ephemerals: list[Ephemeral] = []
        self.file_store.clear()
        self._calls: list[Call] = []
        self._targets: dict[str, ResponseTarget] = {}
        self.view_store.clear()

    # -- bookkeeping -------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        """A fresh Slack-looking id such as `V00000003`."""
        return f"{prefix}{next(self._ids):08d}"

    def _new_ts(self) -> str:
        micros = max(round(self.clock() * 1_000_000), self._last_ts + 1)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def notify(self, kind: str) -> None:
        """Wake `wait_for` callers and run the `on_change` hooks."""
        with self._changed:
            self._version += 1
            self._changed.notify_all()
        for hook in list(self.on_change):
            try:
                hook(kind)
            except Exception:  # a broken page must not break the Web API
                log.exception("on_change hook failed for %s", kind)

    def reset(self) -> None:
        """Forget everything except registered users and user groups."""
        with self._lock:
            self._clear()
        self.notify("reset")

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Return the first truthy value of `predicate()`, re-checked after each change."""
        deadline = time.monotonic() + timeout
        while True:
            with self._changed:
                seen = self._version
            result = predicate()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"condition still false after {timeout}s")
            with self._changed:
                if self._version == seen:
                    self._changed.wait(min(remaining, 0.05))

    # -- users -------------------------------------------------------------------------------

    def add_user(self, user_id: str, name: str | None = None, *, email: str | None = None,
                 tz: str = "UTC", real_name: str | None = None) -> User:
        """Register a member so that `users.info` knows them."""
        user = User(user_id, name or user_id.lower(), email, tz, real_name)
        with self._lock:
            self._users[user_id] = user
        self.notify("user.added")
        return user

    def user(self, user_id: str) -> User:
        with self._lock:
            if user_id not in self._users:
                raise SlackError("user_not_found")
            return self._users[user_id]

    def users(self) -> list[User]:
        with self._lock:
            return list(self._users.values())

    def add_usergroup(self, group_id: str, users: Iterable[str], *, handle: str | None = None,
                      name: str | None = None) -> None:
        """Create a user group, or replace its members (a removal takes effect at once)."""
        self.usergroups.put(group_id, users, handle=handle, name=name)
        self.notify("usergroup.added")

    def usergroup_members(self, group_id: str, *, include_disabled: bool = False) -> list[str]:
        return self.usergroups.members(group_id, include_disabled=include_disabled)

    @staticmethod
    def dm_channel(user_id: str) -> str:
        """The app's direct-message channel with a user: stable, `D` + user id."""
        return f"D{user_id}"

    def resolve_channel(self, channel: str) -> str:
        """A user id given as a channel means the app's DM with that user, as in Slack."""
        if channel[:1] in ("U", "W"):
            return self.dm_channel(channel)
        return channel

    # -- messages ----------------------------------------------------------------------------

    def post_message(self, channel: str, *, text: str = "", blocks: Blocks | None = None,
                     thread_ts: str | None = None, user: str = BOT_USER_ID,
                     files: tuple[str, ...] = ()) -> Message:
        with self._lock:
            channel = self.resolve_channel(channel)
            in_channel = self._messages.setdefault(channel, {})
            if thread_ts is not None:
                thread_ts = self._thread_root(in_channel, thread_ts)
            ts = self._new_ts()
            blocks = blocks or []
            message = Message(channel, ts, text, blocks, thread_ts, user,
                              history=(MessageVersion(text, blocks),), files=files)
            in_channel[ts] = message
        self.notify("message.posted")
        return message

    @staticmethod
    def _thread_root(in_channel: dict[str, Message], thread_ts: str) -> str:
        parent = in_channel.get(thread_ts)
        if parent is None or parent.deleted:
            raise SlackError("invalid_thread_ts")
        return parent.thread_ts or parent.ts

    def update_message(self, channel: str, ts: str, *, text: str | None = None,
                       blocks: Blocks | None = None) -> Message:
        """Edit a message; fields left out keep their value, as `chat.update` does."""
        with self._lock:
            old = self._live_message(channel, ts)
            text = old.text if text is None else text
            blocks = old.blocks if blocks is None else blocks
            new = replace(old, text=text, blocks=blocks, edited=True,
                          history=(*old.history, MessageVersion(text, blocks)))
            self._messages[new.channel][ts] = new
        self.notify("message.updated")
        return new

    def delete_message(self, channel: str, ts: str) -> Message:
        with self._lock:
            old = self._live_message(channel, ts)
            new = replace(old, deleted=True)
            self._messages[new.channel][ts] = new
        self.notify("message.deleted")
        return new

    def _live_message(self, channel: str, ts: str) -> Message:
        message = self._messages.get(self.resolve_channel(channel), {}).get(ts)
        if message is None or message.deleted:
            raise SlackError("message_not_found")
        return message

    def messages(self, channel: str, *, replies: bool = False) -> list[Message]:
        """Messages of a channel in order, deleted ones included; thread replies only on demand."""
        with self._lock:
            found = self._messages.get(self.resolve_channel(channel), {}).values()
            return [m for m in found if replies or not m.is_reply]

    def thread(self, channel: str, ts: str) -> list[Message]:
        """A thread's parent followed by its replies."""
        with self._lock:
            found = self._messages.get(self.resolve_channel(channel), {}).values()
            return [m for m in found if m.ts == ts or m.thread_ts == ts]

    def channels(self) -> list[str]:
        with self._lock:
            return list(self._messages)

    # -- ephemeral messages and response URLs ------------------------------------------------

    def post_ephemeral(self, channel: str | None, user: str | None, *, text: str = "",
                       blocks: Blocks | None = None, source: str = "chat.postEphemeral",
                       thread_ts: str | None = None, replace_original: bool = False,
                       delete_original: bool = False) -> Ephemeral:
        with self._lock:
            ephemeral = Ephemeral(user, channel, self._new_ts(), text, blocks or [], source,
                                  thread_ts, replace_original, delete_original)
            self._ephemerals.append(ephemeral)
        self.notify("ephemeral.posted")
        return ephemeral

    def ephemerals(self, user: str | None = None) -> list[Ephemeral]:
        with self._lock:
            return [e for e in self._ephemerals if user is None or e.user == user]

    def expect_response(self, name: str, target: ResponseTarget) -> None:
        """Remember what the response URL `name` answers to."""
        with self._lock:
            self._targets[name] = target

    def respond(self, name: str, payload: dict[str, Any], *, source: str = "response_url") -> None:
        """Apply a response-URL payload (or an ack body) the way Slack shows it."""
        with self._lock:
            target = self._targets.get(name, ResponseTarget(None, None))
        original_is_public = target.message_ts is not None and not target.is_ephemeral
        text, blocks = str(payload.get("text", "")), payload.get("blocks")
        thread_ts = payload.get("thread_ts") or target.thread_ts
        if not (text or blocks or _flag(payload.get("delete_original"))):
            raise SlackError("no_text")
        if original_is_public and _flag(payload.get("delete_original")):
            self.delete_message(str(target.channel), str(target.message_ts))
        elif original_is_public and _flag(payload.get("replace_original")):
            self.update_message(str(target.channel), str(target.message_ts), text=text,
                                blocks=blocks or [])
        elif payload.get("response_type") == "in_channel" and target.channel:
            self.post_message(target.channel, text=text, blocks=blocks, thread_ts=thread_ts)
        else:
            self.post_ephemeral(target.channel, target.user, text=text, blocks=blocks,
                                source=source, thread_ts=thread_ts,
                                replace_original=_flag(payload.get("replace_original")),
                                delete_original=_flag(payload.get("delete_original")))

    # -- views -------------------------------------------------------------------------------

    def issue_trigger(self, user: str | None) -> str:
        return self.view_store.issue_trigger(user)

    def views(self, user: str | None = None) -> list[View]:
        """Modals in the order they were opened, closed ones included."""
        return self.view_store.modals(user)

    def home(self, user: str) -> View | None:
        """The App Home tab last published for a user."""
        return self.view_store.home(user)

    # -- files -------------------------------------------------------------------------------

    def start_upload(self, filename: str) -> str:
        """Reserve a file id for `files.getUploadURLExternal`."""
        return self.file_store.start(filename)

    def receive_upload(self, file_id: str, content: bytes) -> None:
        self.file_store.receive(file_id, content)

    def complete_upload(self, entries: list[dict[str, Any]], *, channel: str | None,
                        thread_ts: str | None, initial_comment: str | None) -> list[File]:
        """Share uploaded files; with a channel, a message carrying them is posted there."""
        done = self.file_store.share(entries, self.resolve_channel(channel) if channel else None,
                                     thread_ts, initial_comment)
        if channel:
            self.post_message(channel, text=initial_comment or "", thread_ts=thread_ts,
                              files=tuple(f.id for f in done))
        self.notify("file.shared")
        return done

    def files(self) -> list[File]:
        """Files shared with `files.completeUploadExternal`, in upload order."""
        return self.file_store.shared()

    # -- calls -------------------------------------------------------------------------------

    def record_call(self, method: str, params: dict[str, Any], token: str | None,
                    error: str | None = None) -> Call:
        call = Call(method, params, token, self.clock(), error)
        with self._lock:
            self._calls.append(call)
        self.notify("call")
        return call

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]


def _flag(value: Any) -> bool:
    """Slack booleans arrive as JSON booleans or as form strings."""
    return value is True or str(value).lower() in ("1", "true")
