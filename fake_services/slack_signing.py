"""Slack request signing, and a client that sends the bot signed requests exactly as Slack does."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import requests

from fake_services.slack_models import TEAM_ID, Ephemeral, Message, ResponseTarget, SlackError, View
from fake_services.slack_payloads import (
    FORM,
    JSON,
    app_home_opened_envelope,
    block_actions_payload,
    button_action,
    event_body,
    find_element,
    form_body,
    interaction_body,
    message_container,
    modal_view,
    slash_command_fields,
    state_values,
    user_object,
    view_submission_payload,
)

if TYPE_CHECKING:
    from fake_services.fake_slack import FakeSlack

__all__ = [
    "FORM", "JSON", "SlackClient", "app_home_opened_envelope", "block_actions_payload",
    "button_action", "event_body", "find_element", "form_body", "interaction_body",
    "message_container", "modal_view", "sign", "signed_headers", "slash_command_fields",
    "state_values", "user_object", "view_submission_payload",
]

SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
Values = dict[str, dict[str, Any]]


def sign(secret: str, body: str, timestamp: int) -> str:
    """`v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` keyed with the signing secret."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: str, timestamp: int, content_type: str) -> dict[str, str]:
    """The headers Slack puts on every request it sends to an app."""
    return {
        "Content-Type": content_type,
        "User-Agent": SLACK_USER_AGENT,
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": sign(secret, body, timestamp),
    }


class SlackClient:
    """Sends the bot's `/slack/events` the requests a Slack user's actions produce.

    With `fake`, response URLs and trigger ids come from that FakeSlack, so what the bot
    answers through them (and in ack bodies) is recorded there, and modals follow the
    bot's answers to submissions. `unsigned()`, `with_signature()` and `with_clock()`
    give variants that send deliberately bad requests.
    """

    def __init__(self, bot_url: str, signing_secret: str, fake: FakeSlack | None = None,
                 clock: Callable[[], float] = time.time, *,
                 session: requests.Session | None = None, timeout: float = 10.0) -> None:
        base = bot_url.rstrip("/")
        self.events_url = base if base.endswith("/slack/events") else f"{base}/slack/events"
        self.signing_secret = signing_secret
        self.fake = fake
        self.clock = clock
        self.session = session or requests.Session()
        self.timeout = timeout
        self._signed = True
        self._signature: str | None = None

    # -- variants that send bad requests -----------------------------------------------------

    def unsigned(self) -> SlackClient:
        """A copy that sends no signature and no timestamp header."""
        variant = copy.copy(self)
        variant._signed = False
        return variant

    def with_signature(self, signature: str) -> SlackClient:
        """A copy that sends this signature whatever the body."""
        variant = copy.copy(self)
        variant._signature = signature
        return variant

    def with_clock(self, clock: Callable[[], float]) -> SlackClient:
        """A copy with another clock: `with_clock(lambda: time.time() - 600)` is stale."""
        variant = copy.copy(self)
        variant.clock = clock
        return variant

    # -- sending -----------------------------------------------------------------------------

    def send(self, body: str, content_type: str, *, timestamp: int | None = None,
             signature: str | None = None) -> requests.Response:
        """POST a body to `/slack/events`, signed unless this client sends unsigned requests."""
        timestamp = int(self.clock()) if timestamp is None else timestamp
        headers = signed_headers(self.signing_secret, body, timestamp, content_type)
        if signature or self._signature:
            headers["X-Slack-Signature"] = str(signature or self._signature)
        if not self._signed:
            del headers["X-Slack-Signature"], headers["X-Slack-Request-Timestamp"]
        return self.session.post(self.events_url, data=body.encode(), headers=headers,
                                 timeout=self.timeout)

    def command(self, user: str, text: str, *, channel: str = "C0GENERAL",
                command: str = "/access") -> requests.Response:
        """A slash command typed by `user` in `channel`; a non-empty ack is shown to them."""
        response_url, name = self._response_url(ResponseTarget(user, channel))
        fields = slash_command_fields(
            user_id=user, user_name=self._user_name(user), command=command, text=text,
            channel_id=channel, response_url=response_url, trigger_id=self._trigger(user))
        response = self.send(form_body(fields), FORM)
        self._show_ack(name, response)
        return response

    def click(self, user: str, action_id: str, value: str, *,
              message: dict[str, Any] | Message | Ephemeral, channel: str | None = None,
              block_id: str | None = None) -> requests.Response:
        """A button click in a message (a dict as Slack shows it, or a recorded message)."""
        is_ephemeral = isinstance(message, Ephemeral)
        channel = channel or getattr(message, "channel", None)
        if channel is None:
            raise ValueError("give the channel of the message")
        shown = _message_dict(message)
        element_block, element = _element(shown.get("blocks", []), action_id, block_id)
        target = ResponseTarget(user, channel, message_ts=shown["ts"], is_ephemeral=is_ephemeral)
        payload = block_actions_payload(
            user=self._user(user), action=button_action(element, element_block, value, self._ts()),
            trigger_id=self._trigger(user), channel=channel,
            container=message_container(shown, channel, is_ephemeral),
            message=None if is_ephemeral else shown, response_url=self._response_url(target)[0])
        return self.send(interaction_body(payload), FORM)

    def click_in_view(self, user: str, action_id: str, value: str, *,
                      view: dict[str, Any] | View | None = None, callback_id: str | None = None,
                      block_id: str | None = None) -> requests.Response:
        """A button click inside a modal or the Home tab (by default the user's open modal)."""
        shown = self._view_dict(user, view, callback_id)
        element_block, element = _element(shown.get("blocks", []), action_id, block_id)
        payload = block_actions_payload(
            user=self._user(user), action=button_action(element, element_block, value, self._ts()),
            trigger_id=self._trigger(user), container={"type": "view", "view_id": shown["id"]},
            view={**shown, "state": {"values": {}}})
        return self.send(interaction_body(payload), FORM)

    def submit_view(self, user: str, callback_id: str, values: Values, *,
                    private_metadata: str | None = None,
                    view: dict[str, Any] | View | None = None) -> requests.Response:
        """Submit a modal with `values` (`{block_id: {action_id: value}}`).

        Without `view`, the user's open modal with this callback id in the fake is submitted;
        `private_metadata` overrides the view's own.
        """
        known = self._known_view(user, view, callback_id)
        shown = dict(known.to_dict() if known else _view_dict(view) or modal_view(
            view_id=f"V{secrets.token_hex(5).upper()}", callback_id=callback_id))
        if private_metadata is not None:
            shown["private_metadata"] = private_metadata
        payload = view_submission_payload(user=self._user(user), view=shown, values=values,
                                          trigger_id=self._trigger(user))
        response = self.send(interaction_body(payload), FORM)
        if self.fake is not None and known is not None and response.status_code == 200:
            self.fake.workspace.view_store.after_submission(known.id, _json_or_none(response))
        return response

    def app_home_opened(self, user: str) -> requests.Response:
        """The `app_home_opened` event sent when `user` opens the app's Home tab."""
        home = self.fake.home(user) if self.fake is not None else None
        envelope = app_home_opened_envelope(
            user_id=user, channel=f"D{user}", event_id=f"Ev{secrets.token_hex(5).upper()}",
            event_time=self.clock(), view=home.to_dict() if home else None)
        return self.send(event_body(envelope), JSON)

    # -- helpers -----------------------------------------------------------------------------

    def _ts(self) -> str:
        return f"{self.clock():.6f}"

    def _user_name(self, user: str) -> str:
        if self.fake is not None:
            try:
                return self.fake.workspace.user(user).name
            except SlackError:
                pass
        return user.lower()

    def _user(self, user: str) -> dict[str, str]:
        return user_object(user, self._user_name(user))

    def _trigger(self, user: str) -> str:
        if self.fake is not None:
            return self.fake.issue_trigger(user)
        return f"{int(self.clock())}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"

    def _response_url(self, target: ResponseTarget) -> tuple[str, str]:
        name = secrets.token_hex(8)
        if self.fake is None:
            return f"https://hooks.slack.com/actions/{TEAM_ID}/{name}", name
        self.fake.expect_response(name, target)
        return self.fake.response_url(name), name

    def _show_ack(self, name: str, response: requests.Response) -> None:
        """Slack shows a command's ack body to the user, as a response-URL post would be."""
        if self.fake is None or response.status_code != 200 or not response.content:
            return
        payload = _json_or_none(response)
        if payload is None:
            payload = {"text": response.text}
        if payload.get("text") or payload.get("blocks"):
            self.fake.workspace.respond(name, payload, source="ack")

    def _known_view(self, user: str, view: dict[str, Any] | View | None,
                    callback_id: str | None) -> View | None:
        if isinstance(view, View):
            return view
        if view is not None or self.fake is None:
            return None
        return self.fake.workspace.view_store.open_modal(user, callback_id)

    def _view_dict(self, user: str, view: dict[str, Any] | View | None,
                   callback_id: str | None) -> dict[str, Any]:
        shown = _view_dict(view)
        if shown is None:
            known = self._known_view(user, None, callback_id)
            if known is None:
                raise LookupError(f"{user} has no open modal to click in")
            shown = known.to_dict()
        return shown


def _message_dict(message: dict[str, Any] | Message | Ephemeral) -> dict[str, Any]:
    if isinstance(message, Message):
        return message.to_dict()
    if isinstance(message, Ephemeral):
        return {"type": "message", "text": message.text, "blocks": message.blocks,
                "ts": message.ts}
    return message


def _view_dict(view: dict[str, Any] | View | None) -> dict[str, Any] | None:
    return view.to_dict() if isinstance(view, View) else view


def _element(blocks: list[dict[str, Any]], action_id: str,
             block_id: str | None) -> tuple[str, dict[str, Any]]:
    """The clicked element; with `block_id`, one that is not (or no longer) shown may be sent."""
    try:
        return find_element(blocks, action_id)
    except LookupError:
        if block_id is None:
            raise
        return block_id, {"action_id": action_id, "type": "button"}


def _json_or_none(response: requests.Response) -> dict[str, Any] | None:
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
