"""Trust-policy checks: conditions that do and do not narrow '*', confused deputies, long
sessions on roles people assume."""

from __future__ import annotations

import pytest

from domain.hygiene import AuthorizationDetails, Thresholds
from domain.hygiene.trust import humans_can_assume, open_to_anyone
from tests.unit.hygiene_builders import ACCOUNT, check, role, snapshot


def trust(principal, condition=None, action="sts:AssumeRole") -> dict:
    statement = {"Effect": "Allow", "Action": action, "Principal": principal}
    if condition:
        statement["Condition"] = condition
    return {"Statement": [statement]}


@pytest.mark.parametrize(("condition", "narrows"), [
    (None, False),
    ({"Bool": {"aws:SecureTransport": "true"}}, False),
    ({"StringLike": {"aws:PrincipalArn": "*"}}, False),
    ({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/deploy"}}, False),
    ({"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}}, False),
    ({"ForAllValues:StringEquals": {"aws:PrincipalOrgID": ["o-abc"]}}, False),
    ({"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}}, False),
    ({"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}, True),
    ({"StringEquals": {"aws:PrincipalAccount": ["111122223333", "444455556666"]}}, True),
    ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}}, True),
    ({"StringEquals": {"sts:ExternalId": "s3cr3t"}}, True),
    ({"StringEquals": {"aws:SourceAccount": "111122223333"},
      "Bool": {"aws:SecureTransport": "true"}}, True),
    ({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abc/r-1/*"}}, True),
])
def test_only_conditions_that_pin_the_caller_close_an_open_trust(condition, narrows):
    assert (open_to_anyone(trust("*", condition)) is None) is narrows
    snap = snapshot(authorization=AuthorizationDetails(roles=(role("r", trust("*", condition)),)))
    findings = check(snap, "role.trust_any_principal")
    assert bool(findings) is not narrows
    if findings and condition:
        assert "does not narrow" in findings[0].detail
        assert next(iter(condition)) in findings[0].detail


@pytest.mark.parametrize(("principal", "open_to_all"), [
    ({"AWS": "*"}, True),
    ({"AWS": ["arn:aws:iam::111122223333:root", "*"]}, True),
    ({"AWS": "arn:aws:iam::111122223333:root"}, False),
    ({"Service": "ec2.amazonaws.com"}, False),
])
def test_principals_open_to_all(principal, open_to_all):
    assert (open_to_anyone(trust(principal)) is not None) is open_to_all


def test_a_deny_statement_never_opens_a_role():
    document = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}]}
    assert open_to_anyone(document) is None


@pytest.mark.parametrize(("principal", "condition", "flagged"), [
    ({"Service": "events.amazonaws.com"}, None, True),
    ({"Service": ["sns.amazonaws.com", "ec2.amazonaws.com"]}, None, True),
    ({"Service": "events.amazonaws.com"},
     {"StringEquals": {"aws:SourceAccount": ACCOUNT}}, False),
    ({"Service": "events.amazonaws.com"},
     {"ArnLike": {"aws:SourceArn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/*"}}, False),
    ({"Service": "lambda.amazonaws.com"}, None, False),
    ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, None, False),
])
def test_confused_deputy(principal, condition, flagged):
    snap = snapshot(authorization=AuthorizationDetails(
        roles=(role("svc", trust(principal, condition)),)))
    findings = check(snap, "role.confused_deputy")
    assert bool(findings) is flagged
    if flagged:
        assert "ec2" not in findings[0].title and "aws:SourceAccount" in findings[0].remediation


def test_service_linked_roles_are_not_confused_deputies():
    linked = role("AWSServiceRoleForX", trust({"Service": "x.amazonaws.com"}),
                  path="/aws-service-role/x.amazonaws.com/")
    assert check(snapshot(authorization=AuthorizationDetails(roles=(linked,))),
                 "role.confused_deputy") == []


@pytest.mark.parametrize(("principal", "action", "humans"), [
    ({"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/AWSSSO_abc"},
     "sts:AssumeRoleWithSAML", True),
    ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "sts:AssumeRole", True),
    ({"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"}, "sts:AssumeRole", True),
    ({"AWS": ACCOUNT}, "sts:AssumeRole", True),
    ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/ci"}, "sts:AssumeRole", False),
    ({"Service": "ec2.amazonaws.com"}, "sts:AssumeRole", False),
    ({"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"},
     "sts:AssumeRoleWithWebIdentity", False),
])
def test_who_counts_as_people(principal, action, humans):
    assert humans_can_assume(role("r", trust(principal, action=action))) is humans


def test_long_sessions_on_roles_people_assume_outside_the_config():
    people = trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    long = role("long", people, max_session_duration=43200)
    configured = role("configured", people, max_session_duration=43200)
    machine = role("machine", trust({"Service": "ec2.amazonaws.com"}), max_session_duration=43200)
    at_ceiling = role("ceiling", people, max_session_duration=4 * 3600)
    snap = snapshot(authorization=AuthorizationDetails(
        roles=(long, configured, machine, at_ceiling)))
    findings = check(snap, "role.long_sessions_for_humans",
                     role_grant_limits={configured.arn: 3600})
    assert [f.principals[0].name for f in findings] == ["long"]
    assert "12h" in findings[0].title and "14400" in findings[0].remediation
    lenient = Thresholds(max_session_for_humans=12 * 3600)
    assert check(snap, "role.long_sessions_for_humans", lenient) == []
