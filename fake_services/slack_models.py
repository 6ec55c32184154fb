"""Identifiers and immutable records of the fake Slack workspace (messages, views, files, calls)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

TEAM_ID = "T0GATEHOUSE"
TEAM_NAME = "Gatehouse Sandbox"
TEAM_DOMAIN = "gatehouse-sandbox"
TEAM_URL = f"https://{TEAM_DOMAIN}.slack.com/"
APP_ID = "A0GATEHOUSE"
BOT_ID = "B0GATEHOUSE"
BOT_USER_ID = "U0GATEHOUSE"
BOT_NAME = "gatehouse"

Blocks = list[dict[str, Any]]


class SlackError(Exception):
    """A Web API error code, answered as `{"ok": false, "error": code}`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class User:
    """A workspace member that `users.info` knows."""

    id: str
    name: str
    email: str | None = None
    tz: str = "UTC"
    real_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The `user` object of `users.info`."""
        real_name = self.real_name or self.name
        profile: dict[str, Any] = {"real_name": real_name, "display_name": self.name}
        if self.email:
            profile["email"] = self.email
        offset = datetime.now(ZoneInfo(self.tz)).utcoffset()
        return {
            "id": self.id,
            "team_id": TEAM_ID,
            "name": self.name,
            "real_name": real_name,
            "deleted": False,
            "is_bot": False,
            "is_admin": False,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": profile,
        }


@dataclass(frozen=True)
class MessageVersion:
    """The content of a message at one point in its life."""

    text: str
    blocks: Blocks


@dataclass(frozen=True)
class Message:
    """A message in a channel; `history` lists every version, oldest first, current last."""

    channel: str
    ts: str
    text: str
    blocks: Blocks
    thread_ts: str | None = None
    user: str = BOT_USER_ID
    edited: bool = False
    deleted: bool = False
    history: tuple[MessageVersion, ...] = ()
    files: tuple[str, ...] = ()

    @property
    def is_reply(self) -> bool:
        """True for a message posted in another message's thread."""
        return self.thread_ts is not None and self.thread_ts != self.ts

    def to_dict(self) -> dict[str, Any]:
        """The message as the Web API and interaction payloads show it."""
        data: dict[str, Any] = {"type": "message", "text": self.text, "user": self.user,
                                "ts": self.ts, "team": TEAM_ID, "blocks": self.blocks}
        if self.user == BOT_USER_ID:
            data.update(bot_id=BOT_ID, app_id=APP_ID)
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        if self.files:
            data["files"] = [{"id": file_id} for file_id in self.files]
        return data


@dataclass(frozen=True)
class Ephemeral:
    """A message only `user` sees; `source` is `chat.postEphemeral`, `response_url` or `ack`."""

    user: str | None
    channel: str | None
    ts: str
    text: str
    blocks: Blocks
    source: str
    thread_ts: str | None = None
    replace_original: bool = False
    delete_original: bool = False


@dataclass(frozen=True)
class View:
    """A modal or an App Home tab; `definition` is the view object the app sent."""

    id: str
    user: str | None
    definition: dict[str, Any]
    hash: str
    external_id: str | None = None
    root_view_id: str | None = None
    previous_view_id: str | None = None
    is_open: bool = True

    @property
    def type(self) -> str:
        return str(self.definition.get("type", "modal"))

    @property
    def callback_id(self) -> str:
        return str(self.definition.get("callback_id", ""))

    @property
    def private_metadata(self) -> str:
        return str(self.definition.get("private_metadata", ""))

    @property
    def blocks(self) -> Blocks:
        return list(self.definition.get("blocks", []))

    def to_dict(self) -> dict[str, Any]:
        """The `view` object of the `views.*` responses and of interaction payloads."""
        return {
            **self.definition,
            "id": self.id,
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "type": self.type,
            "callback_id": self.callback_id,
            "private_metadata": self.private_metadata,
            "external_id": self.external_id or "",
            "blocks": self.blocks,
            "state": {"values": {}},
            "hash": self.hash,
            "root_view_id": self.root_view_id or self.id,
            "previous_view_id": self.previous_view_id,
        }


@dataclass(frozen=True)
class File:
    """A file uploaded with `files.getUploadURLExternal` and shared by `completeUploadExternal`."""

    id: str
    name: str
    title: str
    content: bytes
    channel: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None
    shared: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The `file` object of `files.completeUploadExternal`."""
        return {"id": self.id, "name": self.name, "title": self.title, "size": len(self.content),
                "user": BOT_USER_ID, "channels": [self.channel] if self.channel else []}


@dataclass(frozen=True)
class Call:
    """One request the app made: a Web API method or a POST to a response URL."""

    method: str
    params: dict[str, Any]
    token: str | None
    at: float
    error: str | None = None


@dataclass(frozen=True)
class ResponseTarget:
    """What a response URL answers to: who triggered it, where, and on which message."""

    user: str | None
    channel: str | None
    message_ts: str | None = None
    is_ephemeral: bool = False
    thread_ts: str | None = None
