"""Revoke denies on moto: one policy per person and role, cut-offs only move later, own account."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from aws.clients import AwsClients
from aws.errors import AwsError
from aws.grants import AwsGrants
from aws.iam import list_revoke_denies, put_revoke_deny, remove_revoke_deny, revoke_cutoff

TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]}]}
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ROLE_INLINE_QUOTA = 10_240


def make_role(iam, name: str = "Target") -> str:
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST),
                           MaxSessionDuration=14400)["Role"]["Arn"]


def inline_size(iam, role_name: str) -> int:
    names = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    documents = [iam.get_role_policy(RoleName=role_name, PolicyName=n)["PolicyDocument"]
                 for n in names]
    return sum(len(d if isinstance(d, str) else json.dumps(d, separators=(",", ":")))
               for d in documents)


def test_a_hundred_revokes_of_one_person_keep_one_small_policy(aws):
    iam = aws.client("iam")
    role_arn = make_role(iam)
    for minute in range(100):
        put_revoke_deny(iam, role_arn=role_arn, source_identity="erin@example.com",
                        issued_before=T0 + timedelta(minutes=minute))
    (name,) = list_revoke_denies(iam, role_arn)
    document = iam.get_role_policy(RoleName="Target", PolicyName=name)["PolicyDocument"]
    assert revoke_cutoff(document) == T0 + timedelta(minutes=99)
    assert inline_size(iam, "Target") < 400


def test_revokes_of_many_people_in_twelve_hours_fit_the_quota(aws):
    iam = aws.client("iam")
    role_arn = make_role(iam)
    for person in range(25):  # 25 different people revoked on one role within 12 h
        put_revoke_deny(iam, role_arn=role_arn, source_identity=f"person{person}@example.com",
                        issued_before=T0)
    assert len(list_revoke_denies(iam, role_arn)) == 25
    assert inline_size(iam, "Target") < ROLE_INLINE_QUOTA


def test_a_cut_off_is_never_moved_back(aws):
    iam = aws.client("iam")
    role_arn = make_role(iam)
    later = put_revoke_deny(iam, role_arn=role_arn, source_identity="erin",
                            issued_before=T0 + timedelta(hours=1))
    earlier = put_revoke_deny(iam, role_arn=role_arn, source_identity="erin", issued_before=T0)
    assert earlier.issued_before == later.issued_before == T0 + timedelta(hours=1)


def test_removal_waits_for_the_latest_revoke(aws):
    iam = aws.client("iam")
    role_arn = make_role(iam)
    first = put_revoke_deny(iam, role_arn=role_arn, source_identity="erin", issued_before=T0)
    second = put_revoke_deny(iam, role_arn=role_arn, source_identity="erin",
                             issued_before=T0 + timedelta(hours=2))
    assert first.policy_name == second.policy_name
    # The first revoke's removal (12 h after it) must not lift the second revoke's deny.
    assert remove_revoke_deny(iam, role_arn=role_arn, policy_name=first.policy_name,
                              issued_before=first.issued_before) is False
    assert list_revoke_denies(iam, role_arn) == [first.policy_name]
    assert remove_revoke_deny(iam, role_arn=role_arn, policy_name=second.policy_name,
                              issued_before=second.issued_before) is True
    assert list_revoke_denies(iam, role_arn) == []


def test_a_refused_put_is_an_error_never_a_silent_success(aws):
    iam = aws.client("iam")
    with pytest.raises(AwsError) as raised:
        put_revoke_deny(iam, role_arn="arn:aws:iam::123456789012:role/Missing",
                        source_identity="erin", issued_before=T0)
    assert raised.value.code == "NoSuchEntity"


def test_a_role_of_another_account_is_never_touched(aws):
    iam = aws.client("iam")
    make_role(iam, "CrossTarget")  # same name, Gatehouse's own account
    grants = AwsGrants(AwsClients.from_environment("us-east-1"), "https://signin.example")
    other = "arn:aws:iam::222222222222:role/CrossTarget"
    with pytest.raises(AwsError) as raised:
        grants.put_revoke_deny(role_arn=other, source_identity="erin", issued_before=T0)
    assert raised.value.code == "WrongAccount"
    assert "222222222222" in str(raised.value)
    assert iam.list_role_policies(RoleName="CrossTarget")["PolicyNames"] == []
    for call in (lambda: grants.role_max_seconds(other),
                 lambda: grants.remove_revoke_deny(role_arn=other, policy_name="x")):
        with pytest.raises(AwsError):
            call()
