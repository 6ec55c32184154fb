"""Modals: the request form, the deny reason and the extension form; pure builders and readers."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from config import Config, RoleConfig
from config.identity_center import PermissionSetConfig
from domain.errors import UserError

View = dict[str, Any]
MAX_OPTIONS = 100


def _text_input(block_id: str, label: str, *, placeholder: str = "", multiline: bool = False,
                optional: bool = False, initial: str = "") -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value",
                               "multiline": multiline}
    if placeholder:
        element["placeholder"] = {"type": "plain_text", "text": placeholder}
    if initial:
        element["initial_value"] = initial
    return {"type": "input", "block_id": block_id, "optional": optional,
            "label": {"type": "plain_text", "text": label}, "element": element}


def _modal(callback_id: str, title: str, submit: str, blocks: list[dict[str, Any]],
           metadata: str = "") -> View:
    return {"type": "modal", "callback_id": callback_id, "private_metadata": metadata,
            "title": {"type": "plain_text", "text": title[:24]},
            "submit": {"type": "plain_text", "text": submit},
            "close": {"type": "plain_text", "text": "Cancel"}, "blocks": blocks}


def signed_channel(channel: str, key: str) -> str:
    """The form's reply channel with an HMAC, so that a forged form cannot redirect the reply."""
    return f"{channel}.{_channel_mac(channel, key)}"


def verified_channel(metadata: str, key: str) -> str:
    """The channel `signed_channel` wrote ('' for none), or UserError when it was changed."""
    channel, _, mac = metadata.rpartition(".")
    if metadata and hmac.compare_digest(mac, _channel_mac(channel, key)):
        return channel
    raise UserError("This form was changed after Gatehouse opened it, so it was not filed. "
                    "Open a new one with `/access request`.")


def _channel_mac(channel: str, key: str) -> str:
    digest = hmac.new(key.encode(), f"request_modal:{channel}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def request_modal(config: Config, channel: str) -> View:
    """The request form; `channel` is its reply channel, already signed by `signed_channel`."""
    role_select = {"type": "input", "block_id": "role",
                   "label": {"type": "plain_text", "text": "Role"},
                   "element": {"type": "static_select", "action_id": "value",
                               "placeholder": {"type": "plain_text", "text": "Choose a role"},
                               **_role_choices(config)}}
    return _modal("request_modal", "Request AWS access", "Request", [
        role_select,
        _text_input("duration", "Duration", placeholder="e.g. 1h, 30m, 1h30m", initial="1h"),
        _text_input("start", f"Start (optional, {config.timezone})", optional=True,
                    placeholder="YYYY-MM-DD HH:MM; empty: as soon as approved"),
        _text_input("reason", "Reason", placeholder="What do you need it for?", multiline=True),
    ], metadata=channel)


def _role_choices(config: Config) -> dict[str, Any]:
    """The role select's options; with roles across accounts, a group per account (roles
    without an account in a group of their own), within Block Kit's 100 groups of 100.
    Permission sets (IAM Identity Center) sit with their account's roles, marked as such."""
    roles = sorted([*config.roles.items(), *config.permission_set_rules().items()])
    if not any(role.account for _, role in roles):
        return {"options": [_role_option(name, name, role) for name, role in roles][:MAX_OPTIONS]}
    groups: dict[str, list[dict[str, Any]]] = {}
    for name, role in roles:
        label = f"Account {role.account}" if role.account else "Other roles"
        groups.setdefault(label, []).append(_role_option(name, name.rpartition("/")[2], role))
    return {"option_groups": [
        {"label": {"type": "plain_text", "text": label[:75]}, "options": options[:MAX_OPTIONS]}
        for label, options in groups.items()][:MAX_OPTIONS]}


def _role_option(name: str, shown: str, role: RoleConfig) -> dict[str, Any]:
    if isinstance(role, PermissionSetConfig):
        shown = f"{shown} (permission set)"
        described = role.description or f"IAM Identity Center: {role.permission_set}"
    else:
        described = role.description or role.arn
    return {"text": {"type": "plain_text", "text": shown[:75]},
            "description": {"type": "plain_text", "text": described[:75]},
            "value": name}


def deny_modal(request_id: int, label: str) -> View:
    return _modal("deny_modal", f"Deny {label}", "Deny", [
        _text_input("reason", "Reason", multiline=True, optional=True,
                    placeholder="Tell the requester why"),
    ], metadata=str(request_id))


def extend_modal(request_id: int, label: str) -> View:
    return _modal("extend_modal", f"Extend {label}", "Ask", [
        _text_input("duration", "How much more time", placeholder="e.g. 30m, 1h", initial="1h"),
        _text_input("reason", "Reason", multiline=True, optional=True),
    ], metadata=str(request_id))


def submitted(view: View, block_id: str) -> str:
    """The value a user entered or chose in one input block ('' when empty)."""
    field = view.get("state", {}).get("values", {}).get(block_id, {}).get("value", {})
    if field.get("type") == "static_select":
        return (field.get("selected_option") or {}).get("value", "")
    return field.get("value") or ""
