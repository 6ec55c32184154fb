"""SlackClient signs and shapes requests exactly as Slack does, and ties answers to the fake."""

from __future__ import annotations

import json
import threading
import time
from types import SimpleNamespace
from urllib.parse import parse_qs

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from fake_services.slack_signing import SlackClient, sign, signed_headers
from tests.slack_examples import BUTTONS, MODAL

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


class Receiver:
    """A stand-in for the bot: records what it receives and answers `reply`."""

    def __init__(self) -> None:
        self.requests: list[SimpleNamespace] = []
        self.reply = Response("", status=200)

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.requests.append(SimpleNamespace(headers=dict(request.headers),
                                             body=request.get_data(as_text=True)))
        return self.reply(environ, start_response)

    def last_fields(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.requests[-1].body).items()}

    def last_payload(self) -> dict:
        return json.loads(self.last_fields()["payload"])


def serve(app):
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    return httpd, f"http://127.0.0.1:{httpd.server_port}"


@pytest.fixture(scope="module")
def receiver_server():
    receiver = Receiver()
    httpd, url = serve(receiver)
    yield receiver, url
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def receiver(receiver_server):
    receiver, url = receiver_server
    receiver.requests.clear()
    receiver.reply = Response("", status=200)
    return receiver, url


def verified(secret: str, request: SimpleNamespace) -> bool:
    return SignatureVerifier(secret).is_valid_request(request.body, request.headers)


# -- signing and the client ----------------------------------------------------------------


def test_sign_matches_slack_sdks_verifier():
    body, timestamp = "token=x&text=hello", int(time.time())
    headers = signed_headers(SECRET, body, timestamp, "application/x-www-form-urlencoded")
    assert headers["X-Slack-Signature"] == sign(SECRET, body, timestamp)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(body + "&x=1", headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)


def test_command_is_a_signed_form_with_slacks_fields(receiver, fake):
    receiver, url = receiver
    SlackClient(url, SECRET, fake=fake).command("U1", "request prod 1h why")
    request = receiver.requests[-1]
    assert verified(SECRET, request)
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    fields = receiver.last_fields()
    assert list(fields) == ["token", "team_id", "team_domain", "channel_id", "channel_name",
                            "user_id", "user_name", "command", "text", "api_app_id",
                            "is_enterprise_install", "response_url", "trigger_id"]
    assert (fields["command"], fields["text"], fields["user_id"]) == (
        "/access", "request prod 1h why", "U1")
    assert fields["response_url"].startswith(fake.url + "/respond/")


def test_bad_requests_fail_verification(receiver):
    receiver, url = receiver
    client = SlackClient(url, SECRET)
    client.unsigned().command("U1", "help")
    client.with_signature("v0=" + "0" * 64).command("U1", "help")
    client.with_clock(lambda: time.time() - 600).command("U1", "help")
    client.send("a=b", "application/x-www-form-urlencoded", timestamp=int(time.time()) - 400)
    assert "X-Slack-Signature" not in receiver.requests[0].headers
    assert not any(verified(SECRET, request) for request in receiver.requests)


def test_click_carries_the_message_and_its_response_url_edits_it(receiver, fake, web):
    receiver, url = receiver
    ts = web.chat_postMessage(channel="C0APPROVALS", text="R-1", blocks=BUTTONS)["ts"]
    [message] = fake.messages("C0APPROVALS")
    SlackClient(url, SECRET, fake=fake).click("U2", "approve", "R-1", message=message)
    assert verified(SECRET, receiver.requests[-1])
    payload = receiver.last_payload()
    assert payload["type"] == "block_actions" and payload["message"]["ts"] == ts
    assert payload["container"] == {"type": "message", "message_ts": ts,
                                    "channel_id": "C0APPROVALS", "is_ephemeral": False}
    assert payload["actions"][0] | {"action_ts": None} == {
        "action_id": "approve", "block_id": "decide", "value": "R-1", "type": "button",
        "action_ts": None, "style": "primary", "text": {"type": "plain_text", "text": "Approve"}}
    WebhookClient(payload["response_url"]).send(text="approved", replace_original=True)
    assert fake.messages("C0APPROVALS")[0].text == "approved"
    with pytest.raises(LookupError):
        SlackClient(url, SECRET).click("U2", "gone", "R-1", message=message.to_dict(),
                                       channel="C0APPROVALS")


def test_submit_view_fills_state_from_the_open_modal_and_closes_it(receiver, fake, web):
    receiver, url = receiver
    client = SlackClient(url, SECRET, fake=fake)
    web.views_open(trigger_id=fake.issue_trigger("U1"), view=MODAL)
    receiver.reply = Response(json.dumps({"response_action": "errors", "errors": {"reason": "?"}}),
                              mimetype="application/json")
    client.submit_view("U1", "request", {"role": {"role": "prod-readonly"},
                                         "reason": {"reason": "deploy"}})
    payload = receiver.last_payload()
    values = payload["view"]["state"]["values"]
    assert values["role"]["role"]["selected_option"]["value"] == "prod-readonly"
    assert values["reason"]["reason"] == {"type": "plain_text_input", "value": "deploy"}
    assert payload["view"]["private_metadata"] == "from-modal"
    assert fake.views("U1")[0].is_open
    receiver.reply = Response("", status=200)
    client.submit_view("U1", "request", {"reason": {"reason": "deploy"}})
    assert not fake.views("U1")[0].is_open


def test_click_in_view_and_app_home_opened(receiver, fake, web):
    receiver, url = receiver
    client = SlackClient(url, SECRET, fake=fake)
    view_id = web.views_open(trigger_id=fake.issue_trigger("U1"), view=MODAL)["view"]["id"]
    client.click_in_view("U1", "add", "x")
    payload = receiver.last_payload()
    assert payload["container"] == {"type": "view", "view_id": view_id}
    assert "response_url" not in payload and payload["actions"][0]["block_id"] == "more"
    web.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    client.app_home_opened("U1")
    request = receiver.requests[-1]
    envelope = json.loads(request.body)
    assert verified(SECRET, request) and request.headers["Content-Type"] == "application/json"
    assert envelope["type"] == "event_callback"
    assert envelope["event"]["type"] == "app_home_opened" and envelope["event"]["tab"] == "home"
    assert envelope["event"]["view"]["id"] == fake.home("U1").id


def test_a_bolt_app_accepts_the_client_and_answers_into_the_fake(fake):
    app = App(client=WebClient(base_url=fake.api_url, token="xoxb-test"),
              signing_secret=SECRET, process_before_response=True)

    @app.command("/access")
    def command(ack, respond, body):
        ack(f"filed {body['text']}")
        respond("more to say")

    @app.action("approve")
    def approve(ack, respond):
        ack()
        respond(text="approved", replace_original=True)

    httpd, url = serve(SlackRequestHandler(app))
    try:
        client = SlackClient(url, SECRET, fake=fake)
        assert client.command("U1", "R-9").status_code == 200
        assert {e.text for e in fake.ephemerals("U1")} == {"filed R-9", "more to say"}
        fake.workspace.post_message("C0APPROVALS", text="R-9", blocks=BUTTONS)
        message = fake.messages("C0APPROVALS")[0]
        assert client.click("U2", "approve", "R-9", message=message).status_code == 200
        assert fake.messages("C0APPROVALS")[0].text == "approved"
        assert client.unsigned().command("U1", "x").status_code == 401
        assert client.with_clock(lambda: time.time() - 600).command("U1", "x").status_code == 401
    finally:
        httpd.shutdown()
        httpd.server_close()
