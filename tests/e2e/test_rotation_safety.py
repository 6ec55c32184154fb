"""Key rotation's safety rules end to end: signed HTTP, the fake Slack, moto, injected time."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import ADMIN, APPROVALS, DEV, DEV2, OTHER, base_config
from tests.e2e.test_rotation_flow import (
    TAG,
    as_key,
    button_value,
    dm_with,
    key_dm,
    key_status,
    make_user,
    rotate,
)

ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def make_admin(iam, user: str) -> None:
    """A customer-managed *:* policy (moto's server loads no AWS-managed ones)."""
    try:
        arn = iam.create_policy(PolicyName="Everything", PolicyDocument=json.dumps(ALL)
                                )["Policy"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        arn = "arn:aws:iam::123456789012:policy/Everything"
    iam.attach_user_policy(UserName=user, PolicyArn=arn)


def move_tag(iam, slack_id: str, source: str, target: str) -> None:
    """What anyone allowed iam:TagUser can do: carry a Slack id over to another IAM user."""
    iam.untag_user(UserName=source, TagKeys=[TAG])
    iam.tag_user(UserName=target, Tags=[{"Key": TAG, "Value": slack_id}])
    iam.tag_user(UserName=source, Tags=[{"Key": "moved", "Value": "yes"}])


def approval_message(gh, user: str):
    def found():
        return [m for m in gh.slack.messages(APPROVALS)
                if "Whose access key" in json.dumps(m.blocks) and f"<@{user}>" in m.text]
    return gh.slack.wait_for(found)[-1]


def fresh_directory(gh) -> None:
    gh.runtime.keys.iam.forget()  # as if the directory cache had run out


def test_a_tag_moved_to_another_iam_user_needs_an_admins_approval(gatehouse):
    gh = gatehouse
    make_user(gh.iam, "dev", DEV)
    make_user(gh.iam, "ops-robot", "U0NOBODY")
    rotate(gh)  # the first mapping: DEV's keys belong to `dev`
    move_tag(gh.iam, DEV, "dev", "ops-robot")
    fresh_directory(gh)
    gh.command(DEV, "rotate-key")
    refusal = gh.answer(DEV, "Gatehouse made no key")
    assert "`ops-robot`" in refusal and "approval" in refusal and "rotate-key" in refusal
    assert len(key_status(gh, "ops-robot")) == 1
    message = approval_message(gh, DEV)
    assert "`dev`" in json.dumps(message.blocks)

    change = button_value(message, "key_mapping_approve")
    gh.client.click(DEV, "key_mapping_approve", change, message=message, channel=APPROVALS)
    gh.answer(DEV, "Only Gatehouse admins")
    gh.client.click(ADMIN, "key_mapping_approve", change, message=message, channel=APPROVALS)
    gh.answer(ADMIN, "Approved")
    assert "Approved by" in json.dumps(gh.current(message).blocks)
    assert "key_mapping_approve" not in json.dumps(gh.current(message).blocks)
    assert dm_with(gh, DEV, "approved")
    rotate(gh)
    assert len(key_status(gh, "ops-robot")) == 2
    actions = gh.audit_actions()
    for action in ("key.mapping_recorded", "key.mapping_change_requested",
                   "key.mapping_changed"):
        assert action in actions


def test_a_denied_mapping_change_keeps_refusing(gatehouse):
    gh = gatehouse
    make_user(gh.iam, "dev", DEV)
    make_user(gh.iam, "ops-robot", "U0NOBODY")
    rotate(gh)
    move_tag(gh.iam, DEV, "dev", "ops-robot")
    fresh_directory(gh)
    gh.command(DEV, "rotate-key")
    gh.answer(DEV, "Gatehouse made no key")
    message = approval_message(gh, DEV)
    gh.client.click(ADMIN, "key_mapping_deny", button_value(message, "key_mapping_deny"),
                    message=message, channel=APPROVALS)
    gh.answer(ADMIN, "Denied")
    assert "key.mapping_refused" in gh.audit_actions()
    gh.command(DEV, "rotate-key")
    assert "refused that change" in gh.answer(DEV, "refused that change")
    assert len(key_status(gh, "ops-robot")) == 1


def test_an_administrators_iam_user_gets_no_key(gatehouse):
    gh = gatehouse
    make_user(gh.iam, "root-ish", DEV2)
    make_admin(gh.iam, "root-ish")
    gh.iam.create_group(GroupName="iam-admins")
    gh.iam.put_group_policy(GroupName="iam-admins", PolicyName="iam-all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}))
    make_user(gh.iam, "via-group", OTHER)
    gh.iam.add_user_to_group(GroupName="iam-admins", UserName="via-group")
    gh.command(DEV2, "rotate-key")
    refusal = gh.answer(DEV2, "makes no access key")
    assert "managed policy Everything" in refusal and "keys.allow_admin_keys" in refusal
    gh.command(OTHER, "rotate-key")
    assert "via group iam-admins" in gh.answer(OTHER, "makes no access key")
    assert len(key_status(gh, "root-ish")) == 1 and len(key_status(gh, "via-group")) == 1
    assert not gh.dms(DEV2) and not gh.dms(OTHER)


@pytest.mark.parametrize("config", [{**base_config(), "keys": {"protected_users": ["dev"]}}])
def test_a_protected_user_gets_no_key(gatehouse):
    gh = gatehouse
    make_user(gh.iam, "dev", DEV)
    gh.command(DEV, "rotate-key")
    assert "keys.protected_users" in gh.answer(DEV, "makes no access key")
    assert len(key_status(gh, "dev")) == 1


@pytest.mark.parametrize("config", [{**base_config(), "keys": {"allow_admin_keys": True}}])
def test_admin_keys_can_be_allowed(gatehouse):
    gh = gatehouse
    make_user(gh.iam, "root-ish", DEV2)
    make_admin(gh.iam, "root-ish")
    rotate(gh, DEV2)
    assert len(key_status(gh, "root-ish")) == 2


# --- the old key after the rotation -----------------------------------------------------------

def test_an_old_key_reactivated_by_hand_is_asked_about_not_deleted(gatehouse):
    gh = gatehouse
    (old,) = make_user(gh.iam, "dev", DEV)
    rotate(gh)
    gh.clock.advance(hours=24)
    gh.gh.sweep()
    assert key_status(gh, "dev")[old["AccessKeyId"]] == "Inactive"
    gh.iam.update_access_key(UserName="dev", AccessKeyId=old["AccessKeyId"], Status="Active")
    gh.clock.advance(days=7)
    gh.gh.sweep()
    assert key_status(gh, "dev")[old["AccessKeyId"]] == "Active"
    question = dm_with(gh, DEV, "active again")
    assert dm_with(gh, ADMIN, "active again")
    assert "key.old_key_reactivated" in gh.audit_actions()
    gh.client.click(DEV, "key_keep_old", button_value(question, "key_keep_old"),
                    message=question)
    gh.answer(DEV, "Kept")
    gh.clock.advance(days=7)
    gh.gh.sweep()
    assert key_status(gh, "dev")[old["AccessKeyId"]] == "Active" and len(key_status(gh, "dev")) == 2
    assert "key.old_key_kept" in gh.audit_actions()


def test_deactivate_buttons_go_once_the_old_key_is_inactive(gatehouse, aws):
    gh = gatehouse
    (old,) = make_user(gh.iam, "dev", DEV)
    rotate(gh)
    dm = key_dm(gh, DEV)
    gh.client.click(DEV, "key_stored", button_value(dm, "key_stored"), message=dm)
    gh.answer(DEV, "secret was removed")
    assert "key_deactivate_now" in json.dumps(gh.current(dm).blocks)
    as_key(aws, old).get_caller_identity()
    gh.clock.advance(hours=24)
    gh.gh.sweep()
    warning = dm_with(gh, DEV, "still in use")
    gh.client.click(DEV, "key_deactivate_now", button_value(warning, "key_deactivate_now"),
                    message=warning)
    gh.answer(DEV, "is now inactive")
    gh.idle()
    for message in (dm, warning):
        shown = json.dumps(gh.current(message).blocks)
        assert "key_deactivate_now" not in shown and "key_postpone" not in shown
    assert "is now inactive" in json.dumps(gh.current(warning).blocks)
    gh.clock.advance(days=7)
    gh.gh.sweep()
    assert "is now deleted" in json.dumps(gh.current(warning).blocks)
