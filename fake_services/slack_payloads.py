"""Request bodies shaped exactly as Slack sends them: slash commands, interactions, events."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fake_services.slack_models import APP_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, Blocks

VERIFICATION_TOKEN = "gatehouse-verification-token"  # Slack's legacy `token` field
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

# Where each kind of input element keeps its value in `view.state.values`.
_STATE_KEYS = {
    "static_select": "selected_option", "external_select": "selected_option",
    "radio_buttons": "selected_option", "multi_static_select": "selected_options",
    "checkboxes": "selected_options", "users_select": "selected_user",
    "multi_users_select": "selected_users", "conversations_select": "selected_conversation",
    "channels_select": "selected_channel", "datepicker": "selected_date",
    "timepicker": "selected_time",
}


def form_body(fields: dict[str, str]) -> str:
    return urlencode(fields)


def interaction_body(payload: dict[str, Any]) -> str:
    """Interactions arrive form-encoded, as one `payload` field holding JSON."""
    return urlencode({"payload": json.dumps(payload)})


def event_body(envelope: dict[str, Any]) -> str:
    return json.dumps(envelope)


def channel_name(channel_id: str) -> str:
    """A readable name for a channel id: `C0GENERAL` -> `general`; DMs are `directmessage`."""
    if channel_id.startswith("D"):
        return "directmessage"
    return channel_id.removeprefix("C0").lower()


def user_object(user_id: str, user_name: str) -> dict[str, str]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": TEAM_ID}


def team_object() -> dict[str, str]:
    return {"id": TEAM_ID, "domain": TEAM_DOMAIN}


def slash_command_fields(*, user_id: str, user_name: str, command: str, text: str,
                         channel_id: str, response_url: str, trigger_id: str) -> dict[str, str]:
    """The form fields of a slash command, in Slack's order."""
    return {
        "token": VERIFICATION_TOKEN, "team_id": TEAM_ID, "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id, "channel_name": channel_name(channel_id),
        "user_id": user_id, "user_name": user_name, "command": command, "text": text,
        "api_app_id": APP_ID, "is_enterprise_install": "false",
        "response_url": response_url, "trigger_id": trigger_id,
    }


def find_element(blocks: Blocks, action_id: str) -> tuple[str, dict[str, Any]]:
    """The block id and the interactive element with `action_id` (LookupError if absent)."""
    for block in blocks:
        elements = list(block.get("elements", []))
        for element in [block.get("accessory"), block.get("element"), *elements]:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return str(block.get("block_id", "")), element
    raise LookupError(f"no element with action_id {action_id!r} in these blocks")


def button_action(element: dict[str, Any], block_id: str, value: str, ts: str) -> dict[str, Any]:
    """One entry of `actions` in a `block_actions` payload, for a clicked button."""
    action = {"action_id": element.get("action_id"), "block_id": block_id, "value": value,
              "type": element.get("type", "button"), "action_ts": ts}
    for optional in ("text", "style"):
        if optional in element:
            action[optional] = element[optional]
    return action


def message_container(message: dict[str, Any], channel: str, is_ephemeral: bool) -> dict[str, Any]:
    container = {"type": "message", "message_ts": message["ts"], "channel_id": channel,
                 "is_ephemeral": is_ephemeral}
    if message.get("thread_ts"):
        container["thread_ts"] = message["thread_ts"]
    return container


def block_actions_payload(*, user: dict[str, str], action: dict[str, Any], trigger_id: str,
                          container: dict[str, Any], channel: str | None = None,
                          message: dict[str, Any] | None = None,
                          view: dict[str, Any] | None = None,
                          response_url: str | None = None) -> dict[str, Any]:
    """A `block_actions` payload: a click in a message (with `message`) or in a view."""
    payload: dict[str, Any] = {
        "type": "block_actions", "user": user, "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN, "container": container, "trigger_id": trigger_id,
        "team": team_object(), "enterprise": None, "is_enterprise_install": False,
    }
    if channel is not None:
        payload["channel"] = {"id": channel, "name": channel_name(channel)}
    if message is not None:
        payload["message"] = message
        payload["state"] = {"values": {}}
    if view is not None:
        payload["view"] = view
    if response_url is not None:
        payload["response_url"] = response_url
    payload["actions"] = [action]
    return payload


def state_values(values: dict[str, dict[str, Any]], blocks: Blocks) -> dict[str, Any]:
    """`view.state.values` from `{block_id: {action_id: value}}`.

    A plain value is shaped after the element of that id in `blocks` (a select's
    `selected_option`, a text input's `value`, ...); a dict is taken as the state itself.
    """
    return {block_id: {action_id: _element_state(value, blocks, action_id)
                       for action_id, value in actions.items()}
            for block_id, actions in values.items()}


def _element_state(value: Any, blocks: Blocks, action_id: str) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    try:
        element = find_element(blocks, action_id)[1]
    except LookupError:
        element = {"type": "plain_text_input"}
    kind = element.get("type", "plain_text_input")
    key = _STATE_KEYS.get(kind, "value")
    if key.endswith("_options"):
        return {"type": kind, key: [_option(element, v) for v in value]}
    if key == "selected_option":
        return {"type": kind, key: _option(element, value)}
    return {"type": kind, key: value}


def _option(element: dict[str, Any], value: str) -> dict[str, Any]:
    groups = element.get("option_groups", [])
    options = element.get("options", []) + [o for g in groups for o in g.get("options", [])]
    for option in options:
        if option.get("value") == value:
            return option
    return {"text": {"type": "plain_text", "text": value, "emoji": True}, "value": value}


def modal_view(*, view_id: str, callback_id: str, private_metadata: str = "",
               blocks: Blocks | None = None) -> dict[str, Any]:
    """A minimal modal view object, for a submission of a view the fake never opened."""
    return {"id": view_id, "team_id": TEAM_ID, "type": "modal", "callback_id": callback_id,
            "private_metadata": private_metadata, "blocks": blocks or [], "hash": "0.0",
            "title": {"type": "plain_text", "text": "Gatehouse"}, "app_id": APP_ID,
            "root_view_id": view_id, "previous_view_id": None, "external_id": ""}


def view_submission_payload(*, user: dict[str, str], view: dict[str, Any],
                            values: dict[str, dict[str, Any]],
                            trigger_id: str) -> dict[str, Any]:
    """A `view_submission` payload; `values` become the view's `state.values`."""
    state = {"values": state_values(values, view.get("blocks", []))}
    return {
        "type": "view_submission", "team": team_object(), "user": user,
        "api_app_id": APP_ID, "token": VERIFICATION_TOKEN, "trigger_id": trigger_id,
        "view": {**view, "state": state}, "response_urls": [],
        "enterprise": None, "is_enterprise_install": False,
    }


def app_home_opened_envelope(*, user_id: str, channel: str, event_id: str, event_time: float,
                             view: dict[str, Any] | None = None) -> dict[str, Any]:
    """An `event_callback` envelope carrying `app_home_opened` for the Home tab."""
    event: dict[str, Any] = {"type": "app_home_opened", "user": user_id, "channel": channel,
                             "tab": "home", "event_ts": f"{event_time:.6f}"}
    if view is not None:
        event["view"] = view
    return {
        "token": VERIFICATION_TOKEN, "team_id": TEAM_ID, "api_app_id": APP_ID,
        "event": event, "type": "event_callback", "event_id": event_id,
        "event_time": int(event_time),
        "authorizations": [{"enterprise_id": None, "team_id": TEAM_ID, "user_id": BOT_USER_ID,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
    }
