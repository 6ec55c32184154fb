"""Access-key wrappers for rotation, against moto's server."""

from __future__ import annotations

import logging
from datetime import UTC

import pytest

from aws.access_keys import (
    create_key,
    delete_key,
    list_keys,
    set_key_status,
    users_by_tag,
)
from aws.errors import AwsError
from domain.iam import AccessKey, NewAccessKey

TAG = "slack-user-id"


def make_user(iam, name, slack_id=None, **other_tags):
    tags = [{"Key": key, "Value": value} for key, value in other_tags.items()]
    if slack_id:
        tags.append({"Key": TAG, "Value": slack_id})
    iam.create_user(UserName=name, Tags=tags)


def test_users_by_tag_maps_slack_ids_in_one_pass(aws):
    iam = aws.client("iam")
    make_user(iam, "ana", "U0ANA", team="ops")
    make_user(iam, "bo", "U0BO")
    make_user(iam, "cy", " U0CY ")
    make_user(iam, "ci-bot")

    users = users_by_tag(iam, TAG)

    assert sorted(users) == ["U0ANA", "U0BO", "U0CY"]
    ana = users["U0ANA"]
    assert ana.name == "ana"
    assert ana.arn == "arn:aws:iam::123456789012:user/ana"
    assert ana.tags == {"team": "ops", TAG: "U0ANA"}
    assert ana.created.tzinfo == UTC and ana.user_id


def test_the_same_pass_tells_how_a_user_is_an_administrator(aws):
    import json

    def document(action, resource="*"):
        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": action, "Resource": resource}]})
    iam = aws.client("iam")
    for name, slack_id in (("plain", "U0P"), ("inline", "U0I"), ("managed", "U0M"),
                           ("grouped", "U0G"), ("s3-only", "U0S")):
        make_user(iam, name, slack_id)
    iam.put_user_policy(UserName="inline", PolicyName="all", PolicyDocument=document("*:*"))
    arn = iam.create_policy(PolicyName="IamAll", PolicyDocument=document("iam:*"))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="managed", PolicyArn=arn)
    iam.create_group(GroupName="admins")
    iam.put_group_policy(GroupName="admins", PolicyName="all", PolicyDocument=document("*"))
    iam.add_user_to_group(GroupName="admins", UserName="grouped")
    iam.put_user_policy(UserName="s3-only", PolicyName="s3", PolicyDocument=document("s3:*"))

    users = users_by_tag(iam, TAG)

    assert users["U0P"].admin_via == () and users["U0S"].admin_via == ()
    assert users["U0I"].admin_via == ("inline policy all attached directly",)
    assert users["U0M"].admin_via == ("managed policy IamAll attached directly",)
    assert users["U0G"].admin_via == ("inline policy all via group admins",)


def test_users_by_tag_leaves_out_an_ambiguous_slack_id(aws, caplog):
    iam = aws.client("iam")
    make_user(iam, "ana", "U0ANA")
    make_user(iam, "ana-old", "U0ANA")
    make_user(iam, "bo", "U0BO")
    with caplog.at_level(logging.WARNING):
        assert sorted(users_by_tag(iam, TAG)) == ["U0BO"]
    assert "ana-old" in caplog.text


def test_key_lifecycle_create_list_deactivate_delete(aws):
    iam = aws.client("iam")
    make_user(iam, "ana", "U0ANA")

    new_key = create_key(iam, "ana")

    assert isinstance(new_key, NewAccessKey)
    assert new_key.secret_access_key not in repr(new_key)
    assert new_key.secret_access_key not in str(new_key)
    assert new_key.created.tzinfo == UTC
    (listed,) = list_keys(iam, "ana")
    assert isinstance(listed, AccessKey)
    assert (listed.key_id, listed.status, listed.is_active) == (new_key.key_id, "Active", True)
    assert (listed.last_used, listed.last_used_service, listed.last_used_region) == (None,) * 3

    set_key_status(iam, "ana", new_key.key_id, active=False)
    assert [key.status for key in list_keys(iam, "ana")] == ["Inactive"]
    set_key_status(iam, "ana", new_key.key_id, active=True)
    assert list_keys(iam, "ana")[0].is_active

    assert delete_key(iam, "ana", new_key.key_id) is True
    assert list_keys(iam, "ana") == []
    assert delete_key(iam, "ana", new_key.key_id) is False


def test_keys_are_listed_oldest_first_and_a_third_is_refused(aws):
    iam = aws.client("iam")
    make_user(iam, "ana")
    first, second = create_key(iam, "ana"), create_key(iam, "ana")
    assert [key.key_id for key in list_keys(iam, "ana")] == [first.key_id, second.key_id]
    with pytest.raises(AwsError) as raised:
        create_key(iam, "ana")
    assert raised.value.code == "LimitExceeded"
    assert "two access keys" in raised.value.message


def test_last_use_of_a_new_key_is_recorded(aws):
    iam = aws.client("iam")
    make_user(iam, "ana")
    new_key = create_key(iam, "ana")
    as_ana = aws.session.client(
        "sts",
        endpoint_url=aws.endpoint,
        region_name="eu-west-1",
        aws_access_key_id=new_key.key_id,
        aws_secret_access_key=new_key.secret_access_key,
    )

    assert as_ana.get_caller_identity()["Arn"].endswith(":user/ana")

    (used,) = list_keys(iam, "ana")
    assert used.last_used is not None and used.last_used.tzinfo == UTC
    assert (used.last_used_service, used.last_used_region) == ("sts", "eu-west-1")
    assert used.last_used >= used.created


def test_keys_of_a_missing_user_give_a_readable_error(aws):
    with pytest.raises(AwsError) as raised:
        list_keys(aws.client("iam"), "nobody")
    assert raised.value.code == "NoSuchEntity"
    assert "IAM user nobody" in raised.value.message
