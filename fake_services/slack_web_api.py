"""Slack Web API methods answered from a SlackWorkspace: request parameters in, Slack's JSON out."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fake_services.slack_models import (
    BOT_ID,
    BOT_NAME,
    BOT_USER_ID,
    TEAM_ID,
    TEAM_NAME,
    TEAM_URL,
    Blocks,
    Message,
    SlackError,
)
from fake_services.slack_workspace import SlackWorkspace

JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata")
Params = dict[str, Any]


def decode_params(params: Params) -> Params:
    """Form-encoded requests carry `blocks`, `view`, ... as JSON strings: decode them."""
    decoded = dict(params)
    for name in JSON_FIELDS:
        value = decoded.get(name)
        if isinstance(value, str):
            try:
                decoded[name] = json.loads(value)
            except ValueError:
                pass  # left as is; the method answers with its own error
    return decoded


class SlackWebApi:
    """Answers Web API methods the way slack.com does, recording each call in the workspace."""

    def __init__(self, workspace: SlackWorkspace, upload_url: Callable[[str], str]) -> None:
        self.workspace = workspace
        self._upload_url = upload_url
        self._methods: dict[str, Callable[[Params], Params]] = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.delete": self.chat_delete,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "conversations.open": self.conversations_open,
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "users.info": self.users_info,
            "usergroups.list": self.usergroups_list,
            "usergroups.users.list": self.usergroups_users_list,
            "files.getUploadURLExternal": self.files_get_upload_url_external,
            "files.completeUploadExternal": self.files_complete_upload_external,
        }

    def call(self, method: str, params: Params, token: str | None) -> Params:
        """Run one method; errors come back as `ok: false`, as Slack answers them."""
        params = decode_params(params)
        try:
            handler = self._methods.get(method)
            if handler is None:
                raise SlackError("unknown_method")
            if not token:
                raise SlackError("not_authed")
            body = {"ok": True, **handler(params)}
        except SlackError as error:
            body = {"ok": False, "error": error.code}
        self.workspace.record_call(method, params, token, body.get("error"))
        return body

    # -- auth and chat -----------------------------------------------------------------------

    def auth_test(self, params: Params) -> Params:
        return {"url": TEAM_URL, "team": TEAM_NAME, "user": BOT_NAME, "team_id": TEAM_ID,
                "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}

    def chat_post_message(self, params: Params) -> Params:
        channel = _required(params, "channel", "channel_not_found")
        text, blocks = _content(params)
        message = self.workspace.post_message(channel, text=text, blocks=blocks,
                                              thread_ts=params.get("thread_ts") or None)
        return _message_answer(message)

    def chat_update(self, params: Params) -> Params:
        channel = _required(params, "channel", "channel_not_found")
        ts = _required(params, "ts", "message_not_found")
        blocks = _blocks(params)
        message = self.workspace.update_message(channel, ts, text=params.get("text"), blocks=blocks)
        return {**_message_answer(message), "text": message.text}

    def chat_delete(self, params: Params) -> Params:
        channel = _required(params, "channel", "channel_not_found")
        ts = _required(params, "ts", "message_not_found")
        message = self.workspace.delete_message(channel, ts)
        return {"channel": message.channel, "ts": message.ts}

    def chat_post_ephemeral(self, params: Params) -> Params:
        channel = _required(params, "channel", "channel_not_found")
        user = _required(params, "user", "user_not_in_channel")
        text, blocks = _content(params)
        ephemeral = self.workspace.post_ephemeral(channel, user, text=text, blocks=blocks,
                                                  thread_ts=params.get("thread_ts") or None)
        return {"message_ts": ephemeral.ts}

    def conversations_open(self, params: Params) -> Params:
        users = [u for u in str(params.get("users", "")).split(",") if u]
        if params.get("channel"):
            channel = {"id": params["channel"]}
        elif len(users) == 1:
            channel = {"id": self.workspace.dm_channel(users[0]), "is_im": True, "user": users[0]}
        elif users:
            digest = hashlib.sha1(",".join(sorted(users)).encode()).hexdigest()[:10].upper()
            channel = {"id": f"G{digest}", "is_mpim": True}
        else:
            raise SlackError("users_list_not_supplied")
        return {"no_op": True, "already_open": True, "channel": channel}

    # -- views -------------------------------------------------------------------------------

    def views_open(self, params: Params) -> Params:
        view = self.workspace.view_store.open(params.get("trigger_id"), _view(params))
        return {"view": view.to_dict()}

    def views_push(self, params: Params) -> Params:
        view = self.workspace.view_store.push(params.get("trigger_id"), _view(params))
        return {"view": view.to_dict()}

    def views_update(self, params: Params) -> Params:
        view = self.workspace.view_store.update(
            _view(params), view_id=params.get("view_id"), external_id=params.get("external_id"),
            hash=params.get("hash"))
        return {"view": view.to_dict()}

    def views_publish(self, params: Params) -> Params:
        user = _required(params, "user_id", "invalid_arguments")
        view = self.workspace.view_store.publish(user, _view(params), params.get("hash"))
        return {"view": view.to_dict()}

    # -- users -------------------------------------------------------------------------------

    def users_info(self, params: Params) -> Params:
        user = self.workspace.user(_required(params, "user", "user_not_found"))
        return {"user": user.to_dict()}

    def usergroups_list(self, params: Params) -> Params:
        return {"usergroups": self.workspace.usergroups.listing(
            include_users=_flag(params.get("include_users")),
            include_count=_flag(params.get("include_count")),
            include_disabled=_flag(params.get("include_disabled")))}

    def usergroups_users_list(self, params: Params) -> Params:
        group = _required(params, "usergroup", "no_such_subteam")
        return {"users": self.workspace.usergroup_members(
            group, include_disabled=_flag(params.get("include_disabled")))}

    # -- files -------------------------------------------------------------------------------

    def files_get_upload_url_external(self, params: Params) -> Params:
        filename = _required(params, "filename", "invalid_arguments")
        _required(params, "length", "invalid_arguments")
        file_id = self.workspace.start_upload(filename)
        return {"upload_url": self._upload_url(file_id), "file_id": file_id}

    def files_complete_upload_external(self, params: Params) -> Params:
        entries = params.get("files")
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments")
        channel = params.get("channel_id") or str(params.get("channels", "")).split(",")[0]
        files = self.workspace.complete_upload(
            entries, channel=channel or None, thread_ts=params.get("thread_ts") or None,
            initial_comment=params.get("initial_comment"))
        return {"files": [f.to_dict() for f in files]}


def _flag(value: Any) -> bool:
    """Slack booleans arrive as JSON booleans, or as `true`/`1` in forms and query strings."""
    return value is True or str(value).lower() in ("1", "true")


def _required(params: Params, name: str, error: str) -> str:
    value = params.get(name)
    if value in (None, ""):
        raise SlackError(error)
    return str(value)


def _blocks(params: Params) -> Blocks | None:
    blocks = params.get("blocks")
    if blocks is not None and not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    return blocks


def _content(params: Params) -> tuple[str, Blocks | None]:
    text, blocks = params.get("text") or "", _blocks(params)
    if not text and not blocks:
        raise SlackError("no_text")
    return str(text), blocks


def _view(params: Params) -> dict[str, Any]:
    view = params.get("view")
    if not isinstance(view, dict):
        raise SlackError("invalid_arguments")
    return view


def _message_answer(message: Message) -> Params:
    return {"channel": message.channel, "ts": message.ts, "message": message.to_dict()}
