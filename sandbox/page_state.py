"""What one demo user sees in the fake Slack workspace, as JSON for the sandbox page."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from typing import Any

from fake_services.slack_models import BOT_NAME, BOT_USER_ID, Ephemeral, File, Message, View
from fake_services.slack_payloads import channel_name
from fake_services.slack_workspace import SlackWorkspace

DM_NAME = "Gatehouse"


def channel_label(channel: str, names: dict[str, str]) -> str:
    if channel.startswith("D"):
        return DM_NAME
    return names.get(channel) or channel_name(channel)


def visible_channels(workspace: SlackWorkspace, user: str, names: dict[str, str]) -> list[str]:
    """The demo's channels first, then any other public channel the bot wrote in, then the DM."""
    shared = [c for c in workspace.channels() if c[:1] in ("C", "G") and c not in names]
    return [*names, *sorted(shared), workspace.dm_channel(user)]


def message_json(message: Message, replies: Iterable[Message] = ()) -> dict[str, Any]:
    """A message as the page shows it; a deleted one keeps only its place."""
    shown: dict[str, Any] = {"ts": message.ts, "user": message.user, "edited": message.edited,
                             "deleted": message.deleted, "thread_ts": message.thread_ts,
                             "text": "", "blocks": [], "files": []}
    if not message.deleted:
        shown.update(text=message.text, blocks=message.blocks, files=list(message.files))
    shown["replies"] = [message_json(reply) for reply in replies]
    return shown


def ephemeral_json(ephemeral: Ephemeral) -> dict[str, Any]:
    return {"ts": ephemeral.ts, "channel": ephemeral.channel, "text": ephemeral.text,
            "blocks": ephemeral.blocks, "thread_ts": ephemeral.thread_ts,
            "source": ephemeral.source}


def view_json(view: View | None) -> dict[str, Any] | None:
    return view.to_dict() if view is not None else None


def file_json(file: File) -> dict[str, Any]:
    kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    return {"id": file.id, "name": file.name, "title": file.title, "url": f"/page/file/{file.id}",
            "is_image": kind.startswith("image/"), "size": len(file.content)}


def channel_json(workspace: SlackWorkspace, channel: str, names: dict[str, str]) -> dict[str, Any]:
    messages = []
    for message in workspace.messages(channel):
        replies = [m for m in workspace.thread(channel, message.ts) if m.ts != message.ts]
        messages.append(message_json(message, replies))
    return {"id": channel, "name": channel_label(channel, names),
            "kind": "dm" if channel.startswith("D") else "channel", "messages": messages}


def users_json(workspace: SlackWorkspace) -> dict[str, dict[str, str]]:
    users = {u.id: {"name": u.real_name or u.name, "handle": u.name} for u in workspace.users()}
    users[BOT_USER_ID] = {"name": DM_NAME, "handle": BOT_NAME}
    return users


def user_state(workspace: SlackWorkspace, user: str, names: dict[str, str]) -> dict[str, Any]:
    """Channels, the user's DM with the bot, their ephemerals, open modal and App Home."""
    return {
        "me": user,
        "users": users_json(workspace),
        "channels": [channel_json(workspace, c, names)
                     for c in visible_channels(workspace, user, names)],
        "ephemerals": [ephemeral_json(e) for e in workspace.ephemerals(user)],
        "modal": view_json(workspace.view_store.open_modal(user)),
        "home": view_json(workspace.home(user)),
        "files": {f.id: file_json(f) for f in workspace.files()},
    }
