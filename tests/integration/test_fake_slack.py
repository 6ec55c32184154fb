"""The fake Slack Web API answers slack_sdk the way slack.com does and records what it was asked."""

from __future__ import annotations

import json
import re
import threading
import time
from types import SimpleNamespace

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from fake_services.fake_slack import FakeSlack
from fake_services.slack_models import BOT_ID, BOT_USER_ID, TEAM_ID
from fake_services.slack_workspace import SlackWorkspace
from tests.slack_examples import BUTTONS, MODAL

# -- Web API -------------------------------------------------------------------------------


def test_auth_test_names_the_bot(web, fake):
    answer = web.auth_test()
    assert answer["user_id"] == BOT_USER_ID and answer["bot_id"] == BOT_ID
    assert answer["team_id"] == TEAM_ID and answer["url"].startswith("https://")
    assert fake.calls("auth.test")[0].token == "xoxb-test"


def test_post_message_stores_text_blocks_and_answers_like_slack(web, fake):
    answer = web.chat_postMessage(channel="C0APPROVALS", text="R-1 waits", blocks=BUTTONS)
    assert answer["channel"] == "C0APPROVALS"
    assert answer["message"]["blocks"] == BUTTONS and answer["message"]["ts"] == answer["ts"]
    assert re.fullmatch(r"\d{10}\.\d{6}", answer["ts"])
    [message] = fake.messages("C0APPROVALS")
    assert (message.text, message.blocks, message.user) == ("R-1 waits", BUTTONS, BOT_USER_ID)
    assert fake.calls("chat.postMessage")[0].params["blocks"] == BUTTONS


def test_form_encoded_bodies_and_body_tokens_are_understood(fake):
    body = {"token": "xoxb-form", "channel": "C1", "text": "hi", "blocks": json.dumps(BUTTONS)}
    answer = requests.post(fake.api_url + "chat.postMessage", data=body, timeout=5).json()
    assert answer["ok"] is True
    call = fake.calls("chat.postMessage")[0]
    assert call.token == "xoxb-form" and call.params["blocks"] == BUTTONS
    assert "token" not in call.params


def test_timestamps_are_unique_and_increasing_under_concurrency(web, fake):
    threads = [threading.Thread(target=web.chat_postMessage, kwargs={"channel": "C1", "text": "x"})
               for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps = [m.ts for m in fake.messages("C1")]
    assert len(set(stamps)) == 20
    assert [float(ts) for ts in stamps] == sorted(float(ts) for ts in stamps)


def test_timestamps_stay_unique_when_the_clock_stands_still():
    workspace = SlackWorkspace(clock=lambda: 1_700_000_000.0001)
    stamps = [workspace.post_message("C1", text="x").ts for _ in range(3)]
    stamps.append(workspace.post_ephemeral("C1", "U1", text="x").ts)
    assert stamps == ["1700000000.000100", "1700000000.000101", "1700000000.000102",
                      "1700000000.000103"]


def test_thread_replies_stay_out_of_the_channel_list(web, fake):
    parent = web.chat_postMessage(channel="C1", text="parent")["ts"]
    reply = web.chat_postMessage(channel="C1", text="one", thread_ts=parent)["ts"]
    web.chat_postMessage(channel="C1", text="two", thread_ts=reply)  # threads to the root
    assert [m.text for m in fake.thread("C1", parent)] == ["parent", "one", "two"]
    assert [m.text for m in fake.messages("C1")] == ["parent"]
    assert len(fake.messages("C1", replies=True)) == 3
    with pytest.raises(SlackApiError) as error:
        web.chat_postMessage(channel="C2", text="lost", thread_ts=parent)
    assert error.value.response["error"] == "invalid_thread_ts"


def test_update_keeps_history_and_omitted_blocks(web, fake):
    ts = web.chat_postMessage(channel="D1", text="secret", blocks=BUTTONS)["ts"]
    answer = web.chat_update(channel="D1", ts=ts, text="gone")
    assert answer["ts"] == ts and answer["text"] == "gone"
    [message] = fake.messages("D1")
    assert message.edited and message.blocks == BUTTONS  # Slack keeps blocks left out
    assert [v.text for v in message.history] == ["secret", "gone"]
    web.chat_update(channel="D1", ts=ts, text="gone", blocks=[])
    assert fake.messages("D1")[0].blocks == []


def test_update_and_delete_of_unknown_messages_fail(web, fake):
    with pytest.raises(SlackApiError) as error:
        web.chat_update(channel="C1", ts="1.000001", text="x")
    assert error.value.response["error"] == "message_not_found"
    ts = web.chat_postMessage(channel="C1", text="x")["ts"]
    assert web.chat_delete(channel="C1", ts=ts)["ts"] == ts
    assert fake.messages("C1")[0].deleted
    with pytest.raises(SlackApiError):
        web.chat_update(channel="C1", ts=ts, text="again")
    assert fake.calls("chat.update")[-1].error == "message_not_found"


def test_ephemeral_messages_are_kept_per_user(web, fake):
    answer = web.chat_postEphemeral(channel="C1", user="U1", text="only you")
    web.chat_postEphemeral(channel="C1", user="U2", text="only them")
    [mine] = fake.ephemerals("U1")
    assert (mine.channel, mine.text, mine.ts) == ("C1", "only you", answer["message_ts"])
    assert mine.source == "chat.postEphemeral" and len(fake.ephemerals()) == 2


def test_conversations_open_gives_a_stable_dm_that_user_ids_post_to(web, fake):
    first = web.conversations_open(users="U123")["channel"]["id"]
    assert first == web.conversations_open(users="U123")["channel"]["id"] == "DU123"
    assert web.chat_postMessage(channel="U123", text="hi")["channel"] == "DU123"
    assert [m.text for m in fake.messages("DU123")] == ["hi"]


def test_users_info_and_usergroups(web, fake):
    fake.add_user("U1", "alice", email="alice@example.com", tz="Europe/Paris")
    fake.add_user("U2", "bob")
    alice = web.users_info(user="U1")["user"]
    assert alice["profile"]["email"] == "alice@example.com" and alice["tz"] == "Europe/Paris"
    assert "email" not in web.users_info(user="U2")["user"]["profile"]
    with pytest.raises(SlackApiError) as error:
        web.users_info(user="U404")
    assert error.value.response["error"] == "user_not_found"
    fake.add_usergroup("S1", ["U1", "U2"])
    assert web.usergroups_users_list(usergroup="S1")["users"] == ["U1", "U2"]


def test_unknown_methods_and_missing_tokens_are_refused_with_200(fake):
    answer = requests.post(fake.api_url + "chat.nonsense", json={}, timeout=5)
    assert answer.status_code == 200
    assert answer.json() == {"ok": False, "error": "unknown_method"}
    answer = requests.post(fake.api_url + "auth.test", timeout=5)
    assert answer.json() == {"ok": False, "error": "not_authed"}


def test_views_open_push_update_and_publish(web, fake):
    trigger = fake.issue_trigger("U1")
    opened = web.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert opened["id"].startswith("V") and opened["callback_id"] == "request"
    pushed = web.views_push(trigger_id=fake.issue_trigger("U1"), view=MODAL)["view"]
    assert pushed["previous_view_id"] == opened["id"] == pushed["root_view_id"]
    updated = web.views_update(view_id=opened["id"], hash=opened["hash"],
                               view={**MODAL, "private_metadata": "new"})["view"]
    assert fake.views("U1")[0].private_metadata == "new" and updated["hash"] != opened["hash"]
    with pytest.raises(SlackApiError) as error:
        web.views_update(view_id=opened["id"], hash=opened["hash"], view=MODAL)
    assert error.value.response["error"] == "hash_conflict"
    web.views_publish(user_id="U1", view={"type": "home", "blocks": BUTTONS})
    assert fake.home("U1").blocks == BUTTONS and fake.home("U2") is None


def test_trigger_ids_expire_after_three_seconds_and_serve_once():
    now = [1_700_000_000.0]
    with FakeSlack(workspace=SlackWorkspace(clock=lambda: now[0])) as fake:
        web = WebClient(base_url=fake.api_url, token="xoxb-test")
        trigger = fake.issue_trigger("U1")
        web.views_open(trigger_id=trigger, view=MODAL)
        with pytest.raises(SlackApiError):
            web.views_open(trigger_id=trigger, view=MODAL)
        late = fake.issue_trigger("U1")
        now[0] += 3.5
        with pytest.raises(SlackApiError) as error:
            web.views_open(trigger_id=late, view=MODAL)
        assert error.value.response["error"] == "expired_trigger_id"
        ts = web.chat_postMessage(channel="C1", text="x")["ts"]
        assert ts == "1700000003.500000"


def test_files_upload_v2_runs_slack_sdks_real_upload_flow(web, fake):
    parent = web.chat_postMessage(channel="C0HYGIENE", text="digest")["ts"]
    answer = web.files_upload_v2(channel="C0HYGIENE", thread_ts=parent, content="a,b\n1,2\n",
                                 filename="digest.csv", title="IAM digest",
                                 initial_comment="today")
    assert answer["file"]["title"] == "IAM digest"
    [file] = fake.files()
    assert (file.content, file.title, file.name) == (b"a,b\n1,2\n", "IAM digest", "digest.csv")
    assert (file.channel, file.thread_ts) == ("C0HYGIENE", parent)
    share = fake.thread("C0HYGIENE", parent)[-1]
    assert share.files == (file.id,) and share.text == "today"


# -- fault injection -----------------------------------------------------------------------


def test_rate_limit_reaches_slack_sdk_as_an_error_with_retry_after(web, fake):
    fake.fail_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as error:
        web.chat_postMessage(channel="C1", text="x")
    assert error.value.response.status_code == 429
    assert error.value.response.headers["Retry-After"] == "7"
    assert web.chat_postMessage(channel="C1", text="x")["ok"]
    assert [c.error for c in fake.calls("chat.postMessage")] == ["ratelimited", None]


def test_rate_limit_retry_handler_waits_and_retries(fake, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=slept.append))
    web = WebClient(base_url=fake.api_url, token="xoxb-test",
                    retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
    fake.fail_next("chat.postMessage", retry_after=2, times=2)
    assert web.chat_postMessage(channel="C1", text="x")["ok"]
    assert len(fake.calls("chat.postMessage")) == 3 and len(fake.messages("C1")) == 1
    assert len(slept) == 2 and all(2 <= s < 3 for s in slept)


def test_server_errors_and_error_codes(web, fake):
    fake.fail_next("users.info", status=503)
    with pytest.raises(SlackApiError) as error:
        web.users_info(user="U1")
    assert error.value.response.status_code == 503
    fake.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as error:
        web.chat_postMessage(channel="C1", text="x")
    assert error.value.response.status_code == 200
    assert error.value.response["error"] == "channel_not_found"
    assert fake.messages("C1") == []


# -- response URLs, hooks, waiting ----------------------------------------------------------


def test_response_url_posts_are_recorded_as_ephemerals(fake):
    answer = WebhookClient(fake.response_url("cmd-1")).send(text="done", replace_original=False)
    assert answer.status_code == 200 and answer.body == "ok"
    [ephemeral] = fake.ephemerals()
    assert (ephemeral.text, ephemeral.source) == ("done", "response_url")
    assert fake.calls("response_url")[0].params["text"] == "done"


def test_on_change_hooks_and_reset_keep_users(web, fake):
    seen: list[str] = []
    fake.on_change.append(seen.append)
    try:
        fake.add_user("U1", "alice")
        web.chat_postMessage(channel="C1", text="x")
        fake.reset()
    finally:
        fake.on_change.remove(seen.append)
    assert "message.posted" in seen and seen[-1] == "reset"
    assert fake.messages("C1") == [] and fake.calls() == []
    assert web.users_info(user="U1")["user"]["name"] == "alice"


def test_wait_for_sees_background_work_and_times_out(web, fake):
    threading.Timer(0.05, web.chat_postMessage, kwargs={"channel": "C1", "text": "x"}).start()
    assert fake.wait_for(lambda: fake.messages("C1"), timeout=2)[0].text == "x"
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        fake.wait_for(lambda: fake.messages("C2"), timeout=0.1)
    assert time.monotonic() - started < 1
