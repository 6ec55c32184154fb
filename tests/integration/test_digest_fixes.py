"""The digest's fixes on moto: the key id is found from the report's slot with one call."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from aws.errors import AwsError
from aws.fixes import deactivate_key_in_slot, key_in_slot, remove_console_password
from aws.hygiene import fetch_credential_report


def count_calls(client) -> Counter:
    calls: Counter = Counter()
    client.meta.events.register_first("before-call.*.*",
                                      lambda model, **_: calls.update([model.name]))
    return calls


@pytest.fixture
def iam(aws):
    client = aws.client("iam")
    client.create_user(UserName="carol")
    for _ in range(2):
        client.create_access_key(UserName="carol")
    client.create_login_profile(UserName="carol", Password="Correct-Horse-9")
    return client


def report_slot(iam, slot: int) -> datetime:
    iam.generate_credential_report()
    row = next(r for r in fetch_credential_report(iam, sleep=lambda _: None).rows
               if r.user == "carol")
    return row.access_keys()[slot - 1].key.created


def test_the_slot_key_is_found_by_its_creation_time_with_one_call(iam):
    keys = sorted(iam.list_access_keys(UserName="carol")["AccessKeyMetadata"],
                  key=lambda k: k["CreateDate"])
    created = report_slot(iam, 2)
    calls = count_calls(iam)
    key_id, was_active = deactivate_key_in_slot(iam, "carol", 2, created)
    assert was_active and calls == Counter({"ListAccessKeys": 1, "UpdateAccessKey": 1})
    status = {k["AccessKeyId"]: k["Status"]
              for k in iam.list_access_keys(UserName="carol")["AccessKeyMetadata"]}
    assert key_id in status and status[key_id] == "Inactive" and list(status.values()).count(
        "Active") == 1
    assert key_id == keys[1]["AccessKeyId"]
    assert deactivate_key_in_slot(iam, "carol", 2, created) == (key_id, False)


def test_a_replaced_key_is_not_touched(iam):
    later = datetime.now(UTC) + timedelta(days=3)
    with pytest.raises(AwsError, match="no longer has the access key"):
        key_in_slot(iam, "carol", 1, later)
    with pytest.raises(AwsError, match="no longer has the access key"):
        key_in_slot(iam, "carol", 2 + 1)


def test_without_a_creation_time_the_slot_is_the_nth_oldest(iam):
    keys = sorted(iam.list_access_keys(UserName="carol")["AccessKeyMetadata"],
                  key=lambda k: k["CreateDate"])
    assert key_in_slot(iam, "carol", 1)[0] == keys[0]["AccessKeyId"]


def test_removing_a_console_password_twice_is_safe(iam):
    assert remove_console_password(iam, "carol") is True
    assert remove_console_password(iam, "carol") is False
    with pytest.raises(AwsError, match="AccessDenied"):
        remove_console_password(refusing(iam), "carol")


def refusing(iam):
    from botocore.awsrequest import AWSResponse

    def answer(model, **_):
        error = {"Error": {"Code": "AccessDenied", "Message": "not authorized"}}
        return AWSResponse("https://iam.amazonaws.com/", 403, {}, None), error
    iam.meta.events.register_first("before-call.iam.DeleteLoginProfile", answer)
    return iam
