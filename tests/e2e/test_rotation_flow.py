"""Access-key rotation end to end: signed HTTP, the fake Slack, moto's server, injected time."""

from __future__ import annotations

import json
import logging
import re
from types import SimpleNamespace

import pytest

from logs import QUIET_LOGGERS
from tests.e2e.conftest import (
    ADMIN,
    APPROVALS,
    DEV,
    DEV2,
    OTHER,
    Clock,
    base_config,
    start_bot,
    stop_bot,
)

TAG = "slack-user-id"
SECRET_IN_BLOCKS = re.compile(r"aws_secret_access_key = ([A-Za-z0-9/+=]+)")


# --- helpers ---------------------------------------------------------------------------------

@pytest.fixture
def production_logs(caplog):
    """Every log record Gatehouse writes, with libraries held at WARNING as in production."""
    caplog.set_level(logging.DEBUG)
    quiet = [logging.getLogger(name) for name in QUIET_LOGGERS]  # as logs.setup_logging does
    saved = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.WARNING)
    yield caplog
    for logger, level in zip(quiet, saved, strict=True):
        logger.setLevel(level)


def make_user(iam, name: str, slack_id: str, keys: int = 1) -> list[dict]:
    iam.create_user(UserName=name, Tags=[{"Key": TAG, "Value": slack_id}])
    return [iam.create_access_key(UserName=name)["AccessKey"] for _ in range(keys)]


def key_status(gh, name: str) -> dict[str, str]:
    metadata = gh.iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    return {key["AccessKeyId"]: key["Status"] for key in metadata}


def key_dm(gh, user: str):
    """The DM that delivered a key (as it is now), waiting for it if needed."""
    def found():
        return [m for m in gh.dms(user)
                if any("aws_secret_access_key" in json.dumps(v.blocks) for v in m.history)]
    return gh.slack.wait_for(found)[-1]


def with_secret(message):
    """The version of the key DM that held the secret (the first one only announced it)."""
    return next(v for v in message.history if "aws_secret_access_key" in json.dumps(v.blocks))


def secret_of(message) -> str:
    return SECRET_IN_BLOCKS.search(json.dumps(with_secret(message).blocks).replace("\\n", "\n")
                                   ).group(1)


def new_key_id(message) -> str:
    return re.search(r"aws_access_key_id = (AKIA\w+)",
                     json.dumps(with_secret(message).blocks)).group(1)


def button_value(message, action_id: str) -> str:
    return next(e["value"] for b in message.blocks if b["type"] == "actions"
                for e in b["elements"] if e["action_id"] == action_id)


def dm_with(gh, user: str, contains: str):
    return gh.slack.wait_for(lambda: [m for m in gh.dms(user) if contains in m.text])[-1]


def as_key(aws, key: dict | tuple[str, str], region: str = "eu-west-1"):
    key_id, secret = (key["AccessKeyId"], key["SecretAccessKey"]) if isinstance(key, dict) \
        else key
    return aws.session.client("sts", endpoint_url=aws.endpoint, region_name=region,
                              aws_access_key_id=key_id, aws_secret_access_key=secret)


def refuse(gh, operation: str, code: str = "AccessDenied"):
    """Make the bot's IAM client get an AWS refusal for `operation` until the hook is removed."""
    def answer(**kwargs):
        return (SimpleNamespace(status_code=403, headers={}),
                {"Error": {"Code": code, "Message": "not allowed"}, "ResponseMetadata": {}})
    events = gh.runtime.aws_clients.iam().meta.events
    name = f"before-call.iam.{operation}"
    events.register(name, answer)
    return lambda: events.unregister(name, answer)


def rotate(gh, user: str = DEV, text: str = "rotate-key", expect: str = "access key"):
    gh.command(user, text)
    answer = gh.answer(user, expect, timeout=10)
    gh.idle()
    return answer


# --- the whole rotation ----------------------------------------------------------------------

def test_full_rotation_from_command_to_deletion_of_the_old_key(gatehouse, aws):
    gh = gatehouse
    (old,) = make_user(gh.iam, "dev", DEV)
    answer = rotate(gh)
    dm = key_dm(gh, DEV)
    secret, new = secret_of(dm), new_key_id(dm)
    assert new in answer and old["AccessKeyId"] in answer and secret not in answer
    assert "2026-12-01 09:00 UTC" in answer
    assert key_status(gh, "dev") == {old["AccessKeyId"]: "Active", new: "Active"}
    assert as_key(aws, (new, secret)).get_caller_identity()["Arn"].endswith(":user/dev")

    gh.client.click(DEV, "key_stored", button_value(dm, "key_stored"), message=dm)
    gh.answer(DEV, "secret was removed")
    shown = gh.current(dm)
    assert secret not in json.dumps(shown.blocks) + shown.text and new in json.dumps(shown.blocks)

    gh.command(DEV, "list")
    listing = gh.answer(DEV, "Access key")
    assert f"`{new}` active" in listing and "never used" in listing
    assert f"old key `{old['AccessKeyId']}` is deactivated at 2026-12-01 09:00 UTC" in listing

    gh.clock.advance(hours=23, minutes=59)
    gh.gh.sweep()
    assert key_status(gh, "dev")[old["AccessKeyId"]] == "Active"
    gh.clock.advance(minutes=1)
    gh.gh.sweep()
    assert key_status(gh, "dev") == {old["AccessKeyId"]: "Inactive", new: "Active"}
    assert dm_with(gh, DEV, "is now inactive")

    gh.clock.advance(days=7)
    gh.gh.sweep()
    assert key_status(gh, "dev") == {new: "Active"}
    assert dm_with(gh, DEV, "Key rotation complete")
    actions = [a for a in gh.audit_actions() if a.startswith("key.")]
    assert actions == ["key.mapping_recorded", "key.rotation_requested", "key.created",
                       "key.delivered",
                       "key.secret_removed", "key.deactivated", "key.deleted", "key.rotated"]
    entries = [e for e in gh.runtime.audit.entries() if e.action.startswith("key.")]
    assert all(e.subject == DEV and e.details.get("new_key_id") in (None, new) for e in entries)
    gh.gh.sweep()  # nothing left to do twice
    assert key_status(gh, "dev") == {new: "Active"}


def test_the_secret_leaves_the_dm_after_an_hour_even_without_a_click(gatehouse):
    gh = gatehouse
    make_user(gh.iam, "dev", DEV)
    rotate(gh)
    dm = key_dm(gh, DEV)
    secret = secret_of(dm)
    gh.clock.advance(minutes=59)
    gh.gh.sweep()
    assert secret in json.dumps(gh.current(dm).blocks)
    gh.clock.advance(minutes=1)
    gh.gh.sweep()
    assert secret not in json.dumps(gh.current(dm).blocks)
    assert "removed after an hour" in json.dumps(gh.current(dm).blocks)


def test_a_key_dm_the_holder_deleted_ends_the_hourly_job(gatehouse):
    gh = gatehouse
    make_user(gh.iam, "dev", DEV)
    rotate(gh)
    dm = key_dm(gh, DEV)
    gh.slack.workspace.delete_message(dm.channel, dm.ts)
    gh.clock.advance(hours=1)
    gh.gh.sweep()
    assert not [j for j in gh.runtime.jobs.pending() if j.action == "key_conceal"]
    assert "key.secret_removed" in gh.audit_actions()


def test_a_user_without_any_key_is_refused_a_first_key_and_home_offers_no_rotation(gatehouse):
    gh = gatehouse
    make_user(gh.iam, "dev2", DEV2, keys=0)
    refusal = rotate(gh, DEV2, expect="nothing to rotate")
    assert "`keys.allow_first_key`" in refusal and "first long-lived key" in refusal
    assert key_status(gh, "dev2") == {} and not gh.dms(DEV2)
    gh.client.app_home_opened(DEV2)
    home = gh.slack.wait_for(lambda: (h := gh.slack.home(DEV2)) and "no access key" in
                             json.dumps(h.blocks) and h)
    assert "key_rotate" not in json.dumps(home.blocks)
    assert "rotate-key" not in json.dumps(home.blocks)


@pytest.mark.parametrize("config", [{**base_config(), "keys": {"allow_first_key": True}}])
def test_a_user_without_any_key_gets_one_and_nothing_is_retired(gatehouse):
    gh = gatehouse
    make_user(gh.iam, "dev2", DEV2, keys=0)
    answer = rotate(gh, DEV2)
    assert "no old key" in answer
    (only,) = key_status(gh, "dev2")
    assert only == new_key_id(key_dm(gh, DEV2))
    assert "key.rotated" in gh.audit_actions()
    assert not [j for j in gh.runtime.jobs.pending() if j.action == "key_deactivate"]


def test_app_home_lists_the_keys_and_its_rotate_button_rotates(gatehouse):
    gh = gatehouse
    (old,) = make_user(gh.iam, "dev", DEV)
    gh.client.app_home_opened(DEV)

    def home_with(text):
        home = gh.slack.home(DEV)
        return home if home and text in json.dumps(home.blocks) else None
    home = gh.slack.wait_for(lambda: home_with(f"`{old['AccessKeyId']}` active"))
    assert " old, never used" in json.dumps(home.blocks)
    gh.client.click_in_view(DEV, "key_rotate", DEV, view=home)
    new = new_key_id(key_dm(gh, DEV))
    gh.idle()
    assert gh.slack.wait_for(lambda: home_with(new))
    assert len(key_status(gh, "dev")) == 2


# --- who may rotate whose key ----------------------------------------------------------------

def test_the_iam_directory_is_read_in_one_pass_kept_and_read_again_on_a_miss(gatehouse):
    gh = gatehouse
    reads = []
    gh.runtime.aws_clients.iam().meta.events.register(
        "before-call.iam.GetAccountAuthorizationDetails", lambda **_: reads.append(1))
    make_user(gh.iam, "dev", DEV)
    for times in (1, 2):
        gh.command(DEV, "list")
        gh.slack.wait_for(lambda times=times: len(
            [e for e in gh.slack.ephemerals(DEV) if "Access key" in e.text]) >= times or None)
    assert len(reads) == 1
    make_user(gh.iam, "dev2", DEV2)  # tagged after the directory was read
    assert "Your new access key" in rotate(gh, DEV2)
    assert len(reads) == 2


def test_an_unmapped_user_is_told_which_tag_an_admin_must_set(gatehouse):
    gh = gatehouse
    make_user(gh.iam, "dev", DEV)
    gh.command(OTHER, "rotate-key")
    refusal = gh.answer(OTHER, "not linked to an IAM user")
    assert f"`{TAG}` = `{OTHER}`" in refusal
    assert not [a for a in gh.audit_actions() if a.startswith("key.")]


def test_an_admin_rotates_someone_elses_key_and_sees_only_the_key_id(gatehouse):
    gh = gatehouse
    (old,) = make_user(gh.iam, "dev", DEV)
    answer = rotate(gh, ADMIN, f"rotate-key <@{DEV}|dev>", expect="Rotated")
    dm = key_dm(gh, DEV)
    secret, new = secret_of(dm), new_key_id(dm)
    assert new in answer and f"<@{DEV}>" in answer
    assert f"<@{ADMIN}> rotated your access key" in json.dumps(dm.blocks)
    seen_by_admin = [e.text + json.dumps(e.blocks) for e in gh.slack.ephemerals(ADMIN)]
    seen_by_admin += [m.text + json.dumps(m.blocks) for m in gh.dms(ADMIN)]
    assert not any(secret in text for text in seen_by_admin)
    entry = next(e for e in gh.runtime.audit.entries() if e.action == "key.rotation_requested")
    assert (entry.actor, entry.subject) == (ADMIN, DEV)

    make_user(gh.iam, "dev2", DEV2)
    gh.command(DEV, f"rotate-key <@{DEV2}>")
    gh.answer(DEV, "Only Gatehouse admins")
    gh.command(ADMIN, "rotate-key dev")
    gh.answer(ADMIN, "Slack mention")
    assert len(key_status(gh, "dev2")) == 1 and old["AccessKeyId"] in key_status(gh, "dev")


@pytest.mark.parametrize("config", [{**base_config(), "keys": {"requires_approval": True}}])
def test_with_approval_required_no_key_exists_until_an_admin_approves(gatehouse):
    gh = gatehouse
    (old,) = make_user(gh.iam, "dev", DEV)
    answer = rotate(gh, expect="filed")
    number = int(answer.split()[0].removeprefix("R-"))
    assert "waits for an admin's approval" in answer
    assert list(key_status(gh, "dev")) == [old["AccessKeyId"]]
    message = gh.request_message(number, APPROVALS)
    gh.client.click(DEV, "approve", str(number), message=message)
    gh.answer(DEV, "own request")
    assert list(key_status(gh, "dev")) == [old["AccessKeyId"]]

    gh.client.click(ADMIN, "approve", str(number), message=message)
    gh.idle()
    new = new_key_id(key_dm(gh, DEV))
    assert set(key_status(gh, "dev")) == {old["AccessKeyId"], new}
    assert any(new in text for text in gh.thread_texts(message))
    assert gh.status(number) == "expired"  # closed once the key was delivered
    assert "request.approved" in gh.audit_actions() and "key.delivered" in gh.audit_actions()
    gh.gh.sweep()  # the stored activation job must not rotate a second time
    assert len(key_status(gh, "dev")) == 2


def test_stale_or_forged_key_buttons_get_a_plain_answer_and_change_nothing(gatehouse):
    gh = gatehouse
    (old,) = make_user(gh.iam, "dev", DEV)
    rotate(gh)
    rotation_id = button_value(key_dm(gh, DEV), "key_stored")
    elsewhere = {"type": "message", "ts": "1700000000.000100", "text": "x", "blocks": []}
    for user, action_id, value, expected in [
            (DEV, "key_stored", "abc", "out of date"),
            (DEV, "key_postpone", "999", "out of date"),
            (OTHER, "key_stored", rotation_id, "Only the key's holder"),
            (OTHER, "key_postpone", rotation_id, "Only the key's holder"),
            (DEV, "key_delete_inactive", "nonsense", "out of date"),
            (OTHER, "key_delete_inactive", f"{DEV}:{old['AccessKeyId']}", "Only the key's"),
            (DEV, "key_delete_inactive", f"{DEV}:{old['AccessKeyId']}", "is active again")]:
        response = gh.client.click(user, action_id, value, message=elsewhere,
                                   channel="C0GENERAL", block_id="forged")
        assert response.status_code == 200
        gh.answer(user, expected)
    assert key_status(gh, "dev")[old["AccessKeyId"]] == "Active"
    assert len(key_status(gh, "dev")) == 2


# --- two keys already ------------------------------------------------------------------------

def test_two_keys_with_one_inactive_offer_to_delete_it_and_continue(gatehouse, aws):
    gh = gatehouse
    idle, used = make_user(gh.iam, "dev", DEV, keys=2)
    gh.iam.update_access_key(UserName="dev", AccessKeyId=idle["AccessKeyId"],
                             Status="Inactive")
    as_key(aws, used, region="us-west-2").get_caller_identity()
    gh.command(DEV, "rotate-key")
    gh.answer(DEV, "already has two access keys")
    prompt = next(e for e in gh.slack.ephemerals(DEV) if "two access keys" in e.text)
    assert f"`{idle['AccessKeyId']}` inactive" in prompt.text and "never used" in prompt.text
    assert f"`{used['AccessKeyId']}` active" in prompt.text and "(sts, us-west-2)" in prompt.text
    assert len(key_status(gh, "dev")) == 2

    gh.client.click(DEV, "key_delete_inactive", f"{DEV}:{idle['AccessKeyId']}",
                    message=prompt)
    gh.answer(DEV, "Your new access key", timeout=10)
    gh.idle()
    new = new_key_id(key_dm(gh, DEV))
    assert key_status(gh, "dev") == {used["AccessKeyId"]: "Active", new: "Active"}
    deleted = next(e for e in gh.runtime.audit.entries() if e.action == "key.deleted")
    assert deleted.details["key_id"] == idle["AccessKeyId"] and deleted.actor == DEV


def test_two_active_keys_are_refused_and_nothing_changes(gatehouse):
    gh = gatehouse
    first, second = make_user(gh.iam, "dev", DEV, keys=2)
    gh.command(DEV, "rotate-key")
    refusal = gh.answer(DEV, "already has two access keys")
    assert "Both are active" in refusal
    assert set(key_status(gh, "dev")) == {first["AccessKeyId"], second["AccessKeyId"]}
    assert not gh.dms(DEV)


# --- the old key is still in use -------------------------------------------------------------

def test_old_key_used_after_rotation_warns_holder_and_admins_then_postpones(gatehouse, aws):
    gh = gatehouse
    (old,) = make_user(gh.iam, "dev", DEV)
    rotate(gh)
    as_key(aws, old, region="eu-west-1").get_caller_identity()
    gh.clock.advance(hours=24)
    gh.gh.sweep()
    warning = dm_with(gh, DEV, "still in use")
    text = json.dumps(warning.blocks)
    assert "service `sts`" in text and "region `eu-west-1`" in text
    assert key_status(gh, "dev")[old["AccessKeyId"]] == "Active"
    assert any(old["AccessKeyId"] in m.text and "eu-west-1" in m.text for m in gh.dms(ADMIN))
    assert "key.old_key_in_use" in gh.audit_actions()

    gh.client.click(DEV, "key_postpone", button_value(warning, "key_postpone"), message=warning)
    gh.answer(DEV, "Postponed")
    gh.clock.advance(hours=4)
    gh.gh.sweep()
    assert key_status(gh, "dev")[old["AccessKeyId"]] == "Active"
    gh.clock.advance(hours=24)
    gh.gh.sweep()
    assert key_status(gh, "dev")[old["AccessKeyId"]] == "Inactive"
    assert gh.audit_actions().count("key.old_key_in_use") == 1


def test_deactivate_now_from_the_warning(gatehouse, aws):
    gh = gatehouse
    (old,) = make_user(gh.iam, "dev", DEV)
    rotate(gh)
    as_key(aws, old).get_caller_identity()
    gh.clock.advance(hours=24)
    gh.gh.sweep()
    warning = dm_with(gh, DEV, "still in use")
    gh.client.click(OTHER, "key_deactivate_now", button_value(warning, "key_deactivate_now"),
                    message=warning)
    gh.answer(OTHER, "Only the key's holder")
    assert key_status(gh, "dev")[old["AccessKeyId"]] == "Active"
    gh.client.click(DEV, "key_deactivate_now", button_value(warning, "key_deactivate_now"),
                    message=warning)
    gh.answer(DEV, "is now inactive")
    assert key_status(gh, "dev")[old["AccessKeyId"]] == "Inactive"
    gh.clock.advance(hours=4)
    gh.gh.sweep()
    assert gh.audit_actions().count("key.deactivated") == 1


# --- AWS says no -----------------------------------------------------------------------------

def test_aws_refusing_to_create_the_key_changes_nothing(gatehouse):
    gh = gatehouse
    (old,) = make_user(gh.iam, "dev", DEV)
    refuse(gh, "CreateAccessKey")
    rotate(gh, expect="AWS refused to create")
    assert list(key_status(gh, "dev")) == [old["AccessKeyId"]]
    (dm,) = gh.dms(DEV)  # the announced DM now says why it holds no key
    assert "AWS refused" in json.dumps(dm.blocks) and "aws_secret" not in json.dumps(dm.blocks)
    assert "key.failed" in gh.audit_actions()
    assert gh.runtime.keys.rotations.open_for("dev") is None


def test_aws_refusing_the_deactivation_is_reported_once_and_retried(gatehouse):
    gh = gatehouse
    (old,) = make_user(gh.iam, "dev", DEV)
    rotate(gh)
    allow = refuse(gh, "UpdateAccessKey")
    gh.clock.advance(hours=24)
    gh.gh.sweep()
    assert key_status(gh, "dev")[old["AccessKeyId"]] == "Active"
    assert dm_with(gh, DEV, "could not deactivate") and dm_with(gh, ADMIN, "could not deactivate")
    gh.clock.advance(minutes=5)
    gh.gh.sweep()
    assert len([m for m in gh.dms(DEV) if "could not deactivate" in m.text]) == 1
    allow()
    gh.clock.advance(hours=1)
    gh.gh.sweep()
    assert key_status(gh, "dev")[old["AccessKeyId"]] == "Inactive"


# --- crashes and a Slack that will not take the DM -------------------------------------------

def test_no_key_is_created_when_slack_refuses_the_key_dm(gatehouse):
    gh = gatehouse
    (old,) = make_user(gh.iam, "dev", DEV)
    gh.slack.fail_next("chat.postMessage", status=500, times=3)
    answer = rotate(gh, expect="Slack did not take")
    assert "no key was created" in answer and "unchanged" in answer
    assert list(key_status(gh, "dev")) == [old["AccessKeyId"]]
    assert "key.failed" in gh.audit_actions() and "key.created" not in gh.audit_actions()
    rotate(gh)
    assert len(key_status(gh, "dev")) == 2


def test_a_secret_slack_refuses_to_put_in_the_dm_deletes_the_new_key_at_once(gatehouse):
    gh = gatehouse
    (old,) = make_user(gh.iam, "dev", DEV)
    gh.slack.fail_next("chat.update", status=500, times=3)
    answer = rotate(gh, expect="Slack did not take")
    assert "deleted" in answer and "unchanged" in answer
    assert list(key_status(gh, "dev")) == [old["AccessKeyId"]]
    assert dm_with(gh, DEV, "did not finish")
    assert "key.orphan_deleted" in gh.audit_actions()


def test_a_restart_deletes_a_key_created_but_never_delivered(
        tmp_path, aws, slack, federation, config, production_logs):
    caplog = production_logs
    clock = Clock()
    first = start_bot(tmp_path, aws, slack, federation, config, clock)
    (old,) = make_user(first.iam, "dev", DEV)
    keys = first.runtime.keys
    iam_user, plan = keys.issuer.prepare(DEV, clock())
    rotation = keys.issuer.begin(DEV, DEV, iam_user, plan, clock())
    _, new_key = keys.issuer.create(rotation, clock())
    stop_bot(first)  # the process dies here: the secret was only ever in its memory
    assert len(key_status(first, "dev")) == 2

    second = start_bot(tmp_path, aws, slack, federation, config, clock)
    try:
        second.gh.sweep()
        assert list(key_status(second, "dev")) == [old["AccessKeyId"]]
        told = dm_with(second, DEV, "did not finish")
        assert "rotate-key" in told.text
        assert second.runtime.keys.rotations.get(rotation.id).state.value == "failed"
        assert "key.orphan_deleted" in second.audit_actions()
        assert_secret_nowhere_but_dms(second, tmp_path, caplog, new_key.secret_access_key)
        assert not any(new_key.secret_access_key in json.dumps(v.blocks)
                       for m in second.dms(DEV) for v in m.history)

        answer = rotate(second)
        assert "Your new access key" in answer and len(key_status(second, "dev")) == 2
    finally:
        stop_bot(second)


def test_a_key_whose_id_was_never_recorded_is_left_and_reported_not_guessed(
        tmp_path, aws, slack, federation, config):
    clock = Clock()
    first = start_bot(tmp_path, aws, slack, federation, config, clock)
    (old,) = make_user(first.iam, "dev", DEV)
    keys = first.runtime.keys
    iam_user, plan = keys.issuer.prepare(DEV, clock())
    rotation = keys.issuer.begin(DEV, DEV, iam_user, plan, clock())
    # A key appears that the rotation never recorded: its own (the bot died before storing
    # the id), or one an admin made by hand meanwhile. Gatehouse cannot tell, so it keeps it.
    unknown = first.iam.create_access_key(UserName="dev")["AccessKey"]["AccessKeyId"]
    stop_bot(first)

    second = start_bot(tmp_path, aws, slack, federation, config, clock)
    try:
        second.gh.sweep()
        assert set(key_status(second, "dev")) == {old["AccessKeyId"], unknown}
        for user in (DEV, ADMIN):
            report = dm_with(second, user, "deleted nothing")
            assert unknown in report.text and old["AccessKeyId"] in report.text
        assert second.runtime.keys.rotations.get(rotation.id).state.value == "failed"
        assert "key.unrecorded_key_left" in second.audit_actions()
    finally:
        stop_bot(second)


# --- the secret stays in the DM --------------------------------------------------------------

def assert_secret_nowhere_but_dms(gh, tmp_path, caplog, secret: str) -> None:
    for path in tmp_path.glob("gatehouse.db*"):
        assert secret.encode() not in path.read_bytes(), path.name
    assert secret not in caplog.text
    for record in caplog.records:
        assert secret not in json.dumps(vars(record), default=str)
    for channel in gh.slack.workspace.channels():
        if channel.startswith("D"):
            continue
        for message in gh.slack.messages(channel, replies=True):
            assert all(secret not in v.text + json.dumps(v.blocks) for v in message.history)
    for ephemeral in gh.slack.ephemerals():
        assert secret not in ephemeral.text + json.dumps(ephemeral.blocks)
    for call in gh.slack.calls():
        to_dm = str(call.params.get("channel", "")).startswith("D")
        if not (to_dm and call.method in ("chat.postMessage", "chat.update")):
            assert secret not in json.dumps(call.params, default=str), call.method


def test_the_secret_is_never_in_the_database_the_logs_or_a_non_dm_message(
        gatehouse, tmp_path, production_logs, aws):
    caplog = production_logs
    gh = gatehouse
    (old,) = make_user(gh.iam, "dev", DEV)
    gh.client.app_home_opened(DEV)
    rotate(gh)
    dm = key_dm(gh, DEV)
    secret = secret_of(dm)
    gh.client.click(DEV, "key_stored", button_value(dm, "key_stored"), message=dm)
    gh.answer(DEV, "secret was removed")
    gh.command(DEV, "list")
    gh.answer(DEV, "Access key")
    as_key(aws, old).get_caller_identity()
    gh.clock.advance(days=1)
    gh.gh.sweep()
    gh.clock.advance(days=8)
    gh.gh.sweep()
    gh.idle()
    logging.getLogger("gatehouse.keys").debug("capture probe")
    assert "capture probe" in caplog.text  # what Gatehouse logs is really captured
    assert_secret_nowhere_but_dms(gh, tmp_path, caplog, secret)
    assert secret not in json.dumps(gh.current(dm).blocks) + gh.current(dm).text
    assert all(secret not in json.dumps(entry.as_export()) for entry in gh.runtime.audit.entries())
