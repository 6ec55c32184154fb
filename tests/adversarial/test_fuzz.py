"""Fuzzing: the command parser and every kind of request Slack could send, however odd."""

from __future__ import annotations

import json
import random
import string
from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import UserError
from fake_services.slack_models import ResponseTarget
from fake_services.slack_signing import (
    FORM,
    JSON,
    block_actions_payload,
    interaction_body,
    slash_command_fields,
    user_object,
    view_submission_payload,
)
from handlers import commands
from tests.e2e.conftest import ADMIN, DEV, LEAD

SEED = 20261130
WORDS = [*commands.USAGE, "R-1", "r2", "3", "R-", "-1", "99999999999", "1h", "0m", "15m", "7d",
         "1h30m", "dev", "prod-readonly", "sandbox", "office", f"<@{DEV}>", "<@U0X|x>", "<!here>",
         "`", "*", "²", "\u202e", "\x00", "𝟙h", "١h", "ǅ", "--", "@", "#", "&amp;", "<#C1|c>"]
TEXT = st.lists(st.sampled_from(WORDS) | st.text(max_size=12), max_size=6).map(" ".join)
ANY_TEXT = TEXT | st.text(max_size=60)


def parse_everything(text: str) -> None:
    """Everything the listeners do with command text before any service is called."""
    parsed = commands.parse(text)
    for reader in (commands.request_args, commands.extend_args, commands.request_id,
                   commands.audit_args):
        try:
            reader(parsed)
        except UserError:
            pass
    commands.user_mention(text)
    commands.help_text(["dev", "prod"])


def assert_refused_in_words(text: str) -> None:
    try:
        parse_everything(text)
    except UserError as refusal:
        assert str(refusal).strip()
        assert "Traceback" not in str(refusal)


@given(ANY_TEXT)
@settings(max_examples=1500, deadline=None, database=None)
def test_the_command_parser_only_ever_refuses_in_words(text):
    assert_refused_in_words(text)


def test_ten_thousand_seeded_command_texts():
    odd = Odd(SEED)
    for _ in range(10_000):
        assert_refused_in_words(command_text(odd))


@given(st.text(max_size=20))
@settings(max_examples=500, deadline=None, database=None)
def test_durations_in_commands_only_ever_refuse_in_words(text):
    try:
        assert commands.duration(text, "request") > 0
    except UserError as refusal:
        assert "Write:" in str(refusal)


# --- over HTTP, against a running bot ---------------------------------------------------------

ACCESS_ACTIONS = ["approve", "deny", "revoke", "extend_open", "console_link", "nope", "",
                  "approve ", "APPROVE"]
FEATURE_ACTIONS = ["cancel_request", "digest_deactivate_key", "digest_remove_password",
                   "digest_acknowledge", "key_stored", "key_deactivate_now", "key_postpone",
                   "key_delete_inactive", "key_rotate"]
ACTION_IDS = ACCESS_ACTIONS + FEATURE_ACTIONS
CALLBACKS = ["request_modal", "deny_modal", "extend_modal", "digest_ack_modal", "", "other"]


class Odd:
    """Seeded generator of the strange values a client (or an attacker) could send."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def choice(self, options):
        return self.random.choice(options)

    def chance(self, p: float) -> bool:
        return self.random.random() < p

    def text(self) -> str:
        kind = self.random.randrange(8)
        if kind == 0:
            return "".join(self.random.choice(string.printable) for _ in range(
                self.random.randrange(40)))
        if kind == 1:
            return "".join(chr(self.random.choice([self.random.randrange(0x20, 0xD800),
                                                   self.random.randrange(0xE000, 0x2FFFF)]))
                           for _ in range(self.random.randrange(1, 12)))
        if kind == 2:
            return str(self.random.choice([1, 2, 0, -1, 2**63, 10**30, 3.5, "²", "١", "𝟙"]))
        if kind == 3:
            return self.random.choice(["", " ", "null", "{}", "[]", "R-1", "1e9", "0x10"])
        if kind == 4:
            return "x" * self.random.choice([1000, 5000])
        return " ".join(self.random.choice(WORDS) for _ in range(self.random.randrange(1, 6)))

    def value(self):
        """Anything JSON can carry, where Slack would put a string."""
        return self.choice([self.text(), None, 7, [], {"a": 1}, True, ["1"], {"value": "1"}])

    def user(self) -> dict:
        return user_object(self.choice([ADMIN, LEAD, DEV, "U0FUZZ", "W0FUZZ"]), "fuzz")

    def input_state(self) -> dict:
        """`view.state.values` as Slack sends it, with whatever a user could type or pick."""
        def field() -> dict:
            if self.chance(0.3):
                return {"type": "static_select", "selected_option": self.choice(
                    [None, {"value": self.text()}, {"value": "dev"}])}
            return {"type": "plain_text_input", "value": self.choice([self.text(), None])}
        blocks = ["role", "duration", "reason", "note", self.text()]
        return {"values": {self.choice(blocks): {self.choice(["value", self.text()]): field()}
                           for _ in range(self.random.randrange(4))}}


def response_url(fake, user: str | None, channel: str = "C0GENERAL") -> str:
    name = f"fuzz{random.getrandbits(48):x}"
    fake.expect_response(name, ResponseTarget(user, channel))
    return fake.response_url(name)


def command_text(odd: Odd) -> str:
    return odd.choice([odd.text(), " ".join(odd.choice(WORDS) for _ in range(4))])


def command_body(odd: Odd, fake, user: str, broken: bool = False) -> str:
    """A slash command with odd text; `broken` also spoils the fields around it."""
    fields = slash_command_fields(
        user_id=user, user_name="fuzz", command="/access", text=command_text(odd),
        channel_id="C0GENERAL", response_url=response_url(fake, user),
        trigger_id=fake.issue_trigger(user))
    if broken:
        fields.pop(odd.choice(["user_id", "channel_id", "trigger_id", "response_url", "text"]))
        fields[odd.choice(["team_id", "command", "api_app_id"])] = odd.text()
    return urlencode(fields)


def action_payload(odd: Odd, fake, broken: bool = False) -> dict:
    """A button click on a message: odd action ids and values; `broken` spoils its shape."""
    action = {"action_id": odd.choice(ACTION_IDS), "block_id": odd.text(),
              "value": odd.text(), "type": "button", "action_ts": "1.2"}
    message = odd.choice([{"ts": "1.000001", "text": odd.text(), "blocks": []}, None])
    user = odd.user()
    payload = block_actions_payload(
        user=user, action=action, trigger_id=fake.issue_trigger(user["id"]),
        container={"type": "message", "message_ts": "1.000001", "channel_id": "C0APPROVALS"},
        channel="C0APPROVALS", message=message,
        response_url=response_url(fake, user["id"], "C0APPROVALS"))
    if broken:
        action["action_id"] = odd.choice(ACCESS_ACTIONS + FEATURE_ACTIONS)
        spoil = odd.choice(["actions", "user", "action", "value", "container"])
        if spoil == "actions":
            payload["actions"] = odd.choice([[], None, "x", [action, action], [None]])
        elif spoil == "user":
            payload["user"] = odd.choice([{}, {"id": odd.value()}, None, "U0DEV"])
        elif spoil == "action":
            payload["actions"] = [odd.choice([{}, {"value": "1"}, {"action_id": None}])]
        elif spoil == "value":
            action["value"] = odd.value()
        else:
            payload["container"] = odd.value()
    return payload


def view_payload(odd: Odd, fake, broken: bool = False) -> dict:
    """A modal submitted with odd input and metadata; `broken` spoils its shape."""
    view = {"id": "V0FUZZ", "type": "modal", "callback_id": odd.choice(CALLBACKS),
            "private_metadata": odd.choice([odd.text(), "1", "-1", "", "99999", "١", "²"]),
            "blocks": [], "hash": "1"}
    user = odd.user()
    payload = view_submission_payload(user=user, view=view, values={},
                                      trigger_id=fake.issue_trigger(user["id"]))
    payload["view"]["state"] = odd.input_state()
    if broken:
        view["callback_id"] = odd.choice(CALLBACKS + ["digest_ack_modal"])
        spoil = odd.choice(["state", "values", "metadata", "user", "view"])
        if spoil == "state":
            payload["view"]["state"] = odd.value()
        elif spoil == "values":
            payload["view"]["state"] = {"values": {"reason": odd.value(), "duration": {
                "value": odd.value()}}}
        elif spoil == "metadata":
            payload["view"]["private_metadata"] = odd.value()
        elif spoil == "user":
            payload["user"] = odd.choice([{}, {"id": odd.value()}, None])
        else:
            payload["view"] = odd.value()
    return payload


def garbage(odd: Odd) -> tuple[str, str]:
    """Bodies that are not what their content type says, or not anything at all."""
    options = [
        (FORM, "payload=" + odd.text()),
        (FORM, urlencode({"payload": json.dumps(odd.value())})),
        (FORM, urlencode({"payload": json.dumps({"type": odd.text()})})),
        (FORM, odd.text()),
        (JSON, odd.text()),
        (JSON, json.dumps({"type": "event_callback", "event": odd.value()})),
        (JSON, json.dumps({"type": "url_verification", "challenge": odd.text()})),
        ("text/plain", odd.text()),
        ("multipart/form-data; boundary=x", "--x\r\n" + odd.text()),
        ("", urlencode({"command": "/access", "text": odd.text()})),
        (JSON, json.dumps(odd.value())),
    ]
    return odd.choice(options)


def problem(response) -> str | None:
    """What is wrong with an answer: a 5xx, or a stack trace shown to the sender."""
    if response.status_code >= 500:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    if "Traceback" in response.text or 'File "' in response.text:
        return f"stack trace in the body: {response.text[:200]}"
    return None


class Sender:
    """Sends signed bodies and keeps every answer that is a 5xx or shows a stack trace."""

    def __init__(self, client) -> None:
        self.client = client
        self.problems: list[tuple[str, str]] = []

    def __call__(self, body: str, content_type: str, what) -> None:
        found = problem(self.client.send(body, content_type))
        if found:
            self.problems.append((found, str(what)[:600]))


def test_odd_values_in_well_formed_requests_get_words(gatehouse):
    gh = gatehouse
    odd, send = Odd(SEED), Sender(gatehouse.client)
    assert gh.file(DEV, "request dev 1h so that buttons have something to act on") == 1
    for index in range(100):
        body = command_body(odd, gh.slack, f"U0FZ{index:04d}")
        send(body, FORM, body)
    for _ in range(100):
        payload = action_payload(odd, gh.slack)
        send(interaction_body(payload), FORM, payload)
    for _ in range(100):
        payload = view_payload(odd, gh.slack)
        send(interaction_body(payload), FORM, payload)
    gh.idle()
    assert send.problems == []
    apologies = [e.text for e in gh.slack.ephemerals() if "went wrong" in (e.text or "")]
    assert apologies == [], apologies


def test_malformed_requests_never_get_a_5xx_or_a_stack_trace(gatehouse):
    gh = gatehouse
    odd, send = Odd(SEED + 2), Sender(gatehouse.client)
    for index in range(40):
        body = command_body(odd, gh.slack, f"U0FZ{index:04d}", broken=True)
        send(body, FORM, body)
    for _ in range(60):
        payload = action_payload(odd, gh.slack, broken=True)
        send(interaction_body(payload), FORM, payload)
    for _ in range(60):
        payload = view_payload(odd, gh.slack, broken=True)
        send(interaction_body(payload), FORM, payload)
    for _ in range(80):
        content_type, body = garbage(odd)
        send(body, content_type, (content_type, body))
    gh.idle()
    assert send.problems == []
    assert gh.runtime.requests.requests_where("1=1") == []


def test_every_fuzzed_command_gets_an_answer(gatehouse):
    gh = gatehouse
    odd = Odd(SEED + 1)
    for index in range(60):
        assert problem(gh.command(f"U0FZ{index:04d}", command_text(odd))) is None
    gh.idle()
    for index in range(60):
        user = f"U0FZ{index:04d}"
        answers = gh.slack.ephemerals(user) + gh.slack.views(user)
        posts = [c for c in gh.slack.calls("chat.postMessage") if user in json.dumps(c.params)]
        assert answers or posts, f"{user} got no answer"
