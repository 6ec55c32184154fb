"""Pure builders of the AWS edge: session policy, revoke deny, session names, tags."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from aws.errors import AwsError
from aws.iam import (
    MAX_POLICY_NAME_CHARS,
    build_revoke_deny,
    build_session_policy,
    revoke_policy_name,
    role_name_from_arn,
)
from aws.sts import (
    AWS_NAME,
    CallerIdentity,
    GrantCredentials,
    session_name_for,
    session_tags_for,
    source_identity_for,
)

ENDS_AT = datetime(2024, 5, 1, 14, 30, tzinfo=UTC)


def test_session_policy_ends_at_the_given_time_without_ip_condition():
    policy = build_session_policy(source_ips=[], ends_at=ENDS_AT)
    (statement,) = policy["Statement"]
    assert policy["Version"] == "2012-10-17"
    assert (statement["Effect"], statement["Action"], statement["Resource"]) == ("Allow", "*", "*")
    assert statement["Condition"] == {"DateLessThan": {"aws:CurrentTime": "2024-05-01T14:30:00Z"}}


def test_session_policy_limits_source_ips_when_given():
    ips = ["203.0.113.0/24", "198.51.100.7/32"]
    policy = build_session_policy(source_ips=ips, ends_at=ENDS_AT)
    assert policy["Statement"][0]["Condition"]["IpAddress"] == {"aws:SourceIp": ips}


def test_session_policy_converts_other_zones_to_utc():
    berlin_summer = timezone(timedelta(hours=2))
    ends_at = datetime(2024, 5, 1, 16, 30, tzinfo=berlin_summer)
    condition = build_session_policy(source_ips=[], ends_at=ends_at)["Statement"][0]["Condition"]
    assert condition["DateLessThan"]["aws:CurrentTime"] == "2024-05-01T14:30:00Z"


def test_session_policy_refuses_naive_time():
    with pytest.raises(ValueError):
        build_session_policy(source_ips=[], ends_at=datetime(2024, 5, 1, 14, 30))


def test_revoke_deny_targets_one_source_identity_and_older_tokens():
    deny = build_revoke_deny(source_identity="ana@example.com", issued_before=ENDS_AT)
    (statement,) = deny["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceIdentity": "ana@example.com"},
        "DateLessThan": {"aws:TokenIssueTime": "2024-05-01T14:30:00Z"},
    }
    assert len(json.dumps(deny, separators=(",", ":"))) < 400


def test_revoke_policy_name_is_valid_and_bounded():
    assert revoke_policy_name("ana@example.com").startswith("gatehouse-revoke-ana@example.com-")
    assert revoke_policy_name("a b") != revoke_policy_name("a/b")  # cleaned alike, kept apart
    long_name = revoke_policy_name("x y/z" * 60)
    assert len(long_name) <= MAX_POLICY_NAME_CHARS
    assert " " not in long_name and "/" not in long_name


@pytest.mark.parametrize(
    ("arn", "name"),
    [
        ("arn:aws:iam::123456789012:role/ProdReadOnly", "ProdReadOnly"),
        ("arn:aws:iam::123456789012:role/team/ops/Admin", "Admin"),
        ("arn:aws-us-gov:iam::123456789012:role/x/Audit", "Audit"),
    ],
)
def test_role_name_from_arn_drops_paths(arn, name):
    assert role_name_from_arn(arn) == name


def test_role_name_from_arn_refuses_other_arns():
    with pytest.raises(AwsError) as raised:
        role_name_from_arn("arn:aws:iam::123456789012:user/ana")
    assert raised.value.code == "InvalidArn"


def test_session_name_names_requester_and_request():
    assert session_name_for("U0ABC", 42) == "gatehouse-U0ABC-R42"


def test_session_name_sanitises_and_keeps_request_id_when_too_long():
    name = session_name_for("U0 weird/id#" + "Z" * 80, 123456)
    assert AWS_NAME.fullmatch(name)
    assert len(name) == 64
    assert name.endswith("-R123456")


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("ana@example.com", "ana@example.com"),
        ("ana+aws@example.co.uk", "ana+aws@example.co.uk"),
        (None, "U0ABC"),
        ("", "U0ABC"),
        ("josé@example.com", "U0ABC"),
        ("ana smith@example.com", "U0ABC"),
        ("a" * 60 + "@example.com", "U0ABC"),
        ("aws:admin@example.com", "U0ABC"),
        ("a", "U0ABC"),
    ],
)
def test_source_identity_prefers_a_valid_email(email, expected):
    assert source_identity_for(email, "U0ABC") == expected


def test_source_identity_fallback_is_always_valid():
    for user_id in ("U", "U 1", "W" * 100):
        value = source_identity_for(None, user_id)
        assert AWS_NAME.fullmatch(value), value


def test_session_tags_name_the_request_with_allowed_characters():
    tags = session_tags_for(42, "ana@example.com", "prod-readonly")
    assert tags == {
        "gatehouse-request": "R-42",
        "gatehouse-requester": "ana@example.com",
        "gatehouse-role": "prod-readonly",
    }
    odd = session_tags_for(7, "ana#<script>" + "x" * 300, "röle,1")
    assert odd["gatehouse-requester"].startswith("ana__script_")
    assert len(odd["gatehouse-requester"]) == 256
    assert odd["gatehouse-role"] == "r_le_1"


def test_caller_identity_spots_role_chaining():
    role_arn = "arn:aws:sts::123456789012:assumed-role/Bot/i-1"
    assumed = CallerIdentity("123456789012", role_arn, "AROA:i-1")
    user = CallerIdentity("123456789012", "arn:aws:iam::123456789012:user/bot", "AIDA")
    assert assumed.is_role_session and assumed.max_grant_seconds == 3600
    assert not user.is_role_session and user.max_grant_seconds == 43200


def test_grant_credentials_repr_masks_secret_and_token():
    credentials = GrantCredentials("ASIAKEY", "s3cr3t-value", "t0ken-value", ENDS_AT, "arn:x")
    for text in (repr(credentials), str(credentials), f"{credentials}"):
        assert "s3cr3t-value" not in text and "t0ken-value" not in text
        assert "ASIAKEY" in text
