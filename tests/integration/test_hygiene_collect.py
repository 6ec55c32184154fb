"""Collecting the hygiene snapshot from moto's server, and the findings moto's data can show."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from aws.cloudtrail import RateLimiter
from aws.collect import collect_snapshot
from aws.hygiene import fetch_credential_report, fetch_service_last_accessed
from domain.hygiene import Severity, Thresholds, run_checks
from domain.iam import AccessKey, IamUser
from tests.digest_seed import answer_last_accessed

ACCOUNT = "123456789012"
ADMIN_DOC = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ_DOC = {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def trust(principal) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


def seed_account(iam) -> None:
    """alice: console, no MFA, admin directly; bob: console + MFA, admin via group;
    carol: two keys, inline policy; svc: one key. Roles: open (anyone), scoped."""
    admin_arn = iam.create_policy(PolicyName="FullAdmin",
                                  PolicyDocument=json.dumps(ADMIN_DOC))["Policy"]["Arn"]
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn=admin_arn)
    for name in ("alice", "bob", "carol", "svc"):
        iam.create_user(UserName=name, Tags=[{"Key": "slack-user-id", "Value": f"U-{name}"}])
    for name in ("alice", "bob"):
        iam.create_login_profile(UserName=name, Password="Correct-Horse-9")
    iam.attach_user_policy(UserName="alice", PolicyArn=admin_arn)
    iam.add_user_to_group(GroupName="admins", UserName="bob")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="bob")["VirtualMFADevice"]
    iam.enable_mfa_device(UserName="bob", SerialNumber=serial["SerialNumber"],
                          AuthenticationCode1="123456", AuthenticationCode2="654321")
    for name in ("carol", "carol", "svc"):
        iam.create_access_key(UserName=name)
    iam.put_user_policy(UserName="carol", PolicyName="read", PolicyDocument=json.dumps(READ_DOC))
    iam.create_role(RoleName="open", AssumeRolePolicyDocument=trust("*"), MaxSessionDuration=43200)
    iam.create_role(RoleName="scoped", AssumeRolePolicyDocument=trust(
        {"AWS": "arn:aws:iam::111122223333:root"}))
    iam.update_account_password_policy(MinimumPasswordLength=8, HardExpiry=True,
                                       MaxPasswordAge=30)


@pytest.fixture
def cloudtrail_denied():
    """A CloudTrail client that refuses LookupEvents, as when the bot lacks the permission."""
    client = boto3.client("cloudtrail", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    with Stubber(client) as stubber:
        stubber.add_client_error("lookup_events", "AccessDenied", http_status_code=403)
        yield client


def collect(iam, cloudtrail, sleeps: list | None = None, **options):
    answer_last_accessed(iam)  # moto lacks it
    sleeps = [] if sleeps is None else sleeps
    limiter = RateLimiter(2, clock=lambda: 0.0, sleep=sleeps.append)
    return collect_snapshot(iam, cloudtrail, now=datetime.now(UTC), sleep=sleeps.append,
                            rate_limiter=limiter, **options)


def by_check(findings) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for finding in findings:
        grouped.setdefault(finding.check_id, []).append(finding)
    return grouped


def test_collects_every_iam_source_and_names_the_missing_one(aws, cloudtrail_denied):
    iam = aws.client("iam")
    seed_account(iam)
    sleeps: list[float] = []
    snapshot = collect(iam, cloudtrail_denied, sleeps)
    assert sleeps == [2.0]  # moto answers STARTED to the first GenerateCredentialReport
    assert [str(m) for m in snapshot.missing] == ["CloudTrail LookupEvents: AccessDenied"]
    assert snapshot.account_id == ACCOUNT and snapshot.events_read is False
    report = snapshot.credential_report
    assert report.generated_time.tzinfo is not None
    rows = {row.user: row for row in report.rows}
    assert set(rows) == {"alice", "bob", "carol", "svc"} and report.root is None
    assert rows["alice"].password_enabled and rows["alice"].password_last_used is None
    assert rows["bob"].mfa_active and not rows["alice"].mfa_active
    assert rows["carol"].access_key_1_active and rows["carol"].access_key_2_active
    assert rows["svc"].access_key_1_last_rotated.tzinfo is not None
    assert rows["svc"].access_key_1_last_used_date is None
    assert rows["svc"].access_key_1_last_used_service is None
    svc_key = rows["svc"].access_keys()[0].key  # the shared access-key model, no key id
    assert isinstance(svc_key, AccessKey) and svc_key.key_id is None and svc_key.is_active
    assert svc_key.created == rows["svc"].access_key_1_last_rotated
    users = {user.name: user for user in snapshot.authorization.users}
    assert isinstance(users["carol"], IamUser) and users["carol"].user_id
    assert users["carol"].same_user == users["carol"].user_id
    roles = {role.name: role for role in snapshot.authorization.roles}
    assert roles["open"].max_session_duration == 43200 and roles["open"].last_used is None
    policy = {p.name: p for p in snapshot.authorization.policies}["FullAdmin"]
    assert policy.document == ADMIN_DOC
    assert snapshot.user_tags("alice") == {"slack-user-id": "U-alice"}
    assert snapshot.password_policy.hard_expiry and snapshot.password_policy.minimum_length == 8
    assert snapshot.summary.values["Users"] == 4


def test_findings_that_moto_can_express(aws, cloudtrail_denied):
    iam = aws.client("iam")
    seed_account(iam)
    snapshot = collect(iam, cloudtrail_denied)
    later = datetime.now(UTC) + timedelta(days=100)
    open_arn = f"arn:aws:iam::{ACCOUNT}:role/open"
    found = by_check(run_checks(snapshot, Thresholds(), now=later,
                                role_grant_limits={open_arn: 3600}))
    users = {check: sorted(f.iam_user_name for f in fs if f.iam_user_name)
             for check, fs in found.items()}
    assert users["user.console_without_mfa"] == ["alice"]
    assert users["iam.full_admin"] == ["alice", "bob"]
    admins = {f.iam_user_name: f for f in found["iam.full_admin"]}
    assert admins["alice"].severity is Severity.HIGH and "via group admins" in admins["bob"].detail
    assert users["user.two_active_keys"] == ["carol"]
    assert users["user.direct_policy"] == ["alice", "carol"]
    assert users["user.access_key_too_old"] == ["carol", "carol", "svc"]
    unused = {(f.iam_user_name, f.subject) for f in found["user.unused_credential"]}
    assert ("alice", "password") in unused and ("svc", "access_key_1") in unused
    assert [f.principals[0].name for f in found["role.trust_any_principal"]] == ["open"]
    assert [f.principals[0].name for f in found["role.session_too_long"]] == ["open"]
    assert sorted(f.principals[0].name for f in found["role.unused"]) == ["open", "scoped"]
    assert found["root.mfa_disabled"][0].severity is Severity.CRITICAL  # from GetAccountSummary
    assert {f.subject for f in found["password_policy.weak"]} >= {"min_length", "require_symbols"}
    assert "password_policy.hard_expiry_lockout" not in found  # two admins: alice and bob
    assert "iam.too_few_admins" not in found


def test_hard_expiry_lockout_when_admins_are_below_the_minimum(aws, cloudtrail_denied):
    iam = aws.client("iam")
    seed_account(iam)
    snapshot = collect(iam, cloudtrail_denied)
    found = by_check(run_checks(snapshot, Thresholds(min_admins=3), now=datetime.now(UTC)))
    assert "password_policy.hard_expiry_lockout" in found and "iam.too_few_admins" in found


def test_no_password_policy_reads_as_aws_defaults(aws, cloudtrail_denied):
    snapshot = collect(aws.client("iam"), cloudtrail_denied)
    assert snapshot.password_policy is None and snapshot.password_policy_read
    found = by_check(run_checks(snapshot, Thresholds(), now=datetime.now(UTC)))
    assert "password_policy.missing" in found


def refuse(operation: str):
    """A before-call hook that answers `operation` with AccessDenied, as IAM would."""
    def handler(model, **_):
        if model.name == operation:
            error = {"Error": {"Code": "AccessDenied", "Message": "not authorized"}}
            return AWSResponse("https://iam.amazonaws.com/", 403, {}, None), error
        return None
    return handler


def test_one_failing_iam_source_does_not_stop_the_others(aws, cloudtrail_denied):
    iam = aws.client("iam")
    seed_account(iam)
    iam.meta.events.register_first("before-call.*.*",
                                   refuse("GetAccountAuthorizationDetails"))
    snapshot = collect(iam, cloudtrail_denied)
    assert [str(m) for m in snapshot.missing] == [
        "IAM GetAccountAuthorizationDetails: AccessDenied",
        "CloudTrail LookupEvents: AccessDenied",
    ]
    assert snapshot.authorization is None and snapshot.account_id == ACCOUNT
    found = by_check(run_checks(snapshot, Thresholds(), now=datetime.now(UTC)))
    assert "user.console_without_mfa" in found and "iam.full_admin" not in found


def test_refused_password_policy_is_missing_not_absent(aws, cloudtrail_denied):
    iam = aws.client("iam")
    iam.meta.events.register_first("before-call.*.*", refuse("GetAccountPasswordPolicy"))
    snapshot = collect(iam, cloudtrail_denied)
    assert not snapshot.password_policy_read
    assert "IAM GetAccountPasswordPolicy: AccessDenied" in [str(m) for m in snapshot.missing]
    found = by_check(run_checks(snapshot, Thresholds(), now=datetime.now(UTC)))
    assert "password_policy.missing" not in found


def stubbed_iam() -> tuple[object, Stubber]:
    client = boto3.client("iam", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    return client, Stubber(client)


def test_credential_report_polls_with_backoff():
    iam, stubber = stubbed_iam()
    for state in ("STARTED", "INPROGRESS", "INPROGRESS", "COMPLETE"):
        stubber.add_response("generate_credential_report", {"State": state})
    stubber.add_response("get_credential_report", {
        "Content": b"user,arn\n<root_account>,arn:aws:iam::123456789012:root\n",
        "GeneratedTime": datetime(2026, 1, 1, tzinfo=UTC), "ReportFormat": "text/csv"})
    sleeps: list[float] = []
    with stubber:
        report = fetch_credential_report(iam, sleep=sleeps.append)
    assert sleeps == [2.0, 4.0, 8.0]
    assert report.root.mfa_active is False and report.root.user_creation_time is None


def test_credential_report_that_never_completes_is_a_missing_source(cloudtrail_denied):
    iam, stubber = stubbed_iam()
    for _ in range(8):
        stubber.add_response("generate_credential_report", {"State": "INPROGRESS"})
    for operation, response in (
        ("get_account_authorization_details", {"IsTruncated": False}),
        ("list_roles", {"Roles": [], "IsTruncated": False}),
        ("get_account_summary", {"SummaryMap": {}}),
    ):
        stubber.add_response(operation, response)
    stubber.add_client_error("get_account_password_policy", "NoSuchEntity", http_status_code=404)
    sleeps: list[float] = []
    with stubber:
        snapshot = collect(iam, cloudtrail_denied, sleeps)
    assert sleeps == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert str(snapshot.missing[0]) == "IAM credential report: still being generated after 8 polls"
    assert snapshot.credential_report is None and snapshot.password_policy_read


ADMIN_ARN = f"arn:aws:iam::{ACCOUNT}:user/alice"


def test_service_last_accessed_polls_each_job_and_reads_every_page():
    iam, stubber = stubbed_iam()
    stubber.add_response("generate_service_last_accessed_details", {"JobId": "a" * 36},
                         {"Arn": ADMIN_ARN})
    stubber.add_response("get_service_last_accessed_details", {
        "JobStatus": "IN_PROGRESS", "JobCreationDate": datetime(2026, 1, 1, tzinfo=UTC),
        "JobCompletionDate": datetime(2026, 1, 1, tzinfo=UTC), "ServicesLastAccessed": []},
        {"JobId": "a" * 36, "MaxItems": 1000})
    stubber.add_response("get_service_last_accessed_details", {
        "JobStatus": "COMPLETED", "JobCreationDate": datetime(2026, 1, 1, tzinfo=UTC),
        "JobCompletionDate": datetime(2026, 1, 1, tzinfo=UTC), "IsTruncated": True,
        "Marker": "m", "ServicesLastAccessed": [
            {"ServiceName": "Amazon S3", "ServiceNamespace": "s3",
             "LastAuthenticated": datetime(2026, 1, 1, tzinfo=UTC)}]})
    stubber.add_response("get_service_last_accessed_details", {
        "JobStatus": "COMPLETED", "JobCreationDate": datetime(2026, 1, 1, tzinfo=UTC),
        "JobCompletionDate": datetime(2026, 1, 1, tzinfo=UTC), "IsTruncated": False,
        "ServicesLastAccessed": [{"ServiceName": "Amazon EC2", "ServiceNamespace": "ec2"}]},
        {"JobId": "a" * 36, "MaxItems": 1000, "Marker": "m"})
    sleeps: list[float] = []
    with stubber:
        [entry] = fetch_service_last_accessed(iam, [ADMIN_ARN], sleep=sleeps.append)
    assert sleeps == [1.0]
    assert [(s.namespace, s.last_used is not None) for s in entry.services] == [
        ("s3", True), ("ec2", False)]


def test_refused_last_accessed_data_is_a_named_missing_source(aws, cloudtrail_denied):
    iam = aws.client("iam")
    seed_account(iam)
    iam.meta.events.register_first("before-call.*.*",
                                   refuse("GenerateServiceLastAccessedDetails"))
    snapshot = collect_snapshot(iam, cloudtrail_denied, now=datetime.now(UTC),
                                sleep=lambda _: None, rate_limiter=RateLimiter(
                                    2, clock=lambda: 0.0, sleep=lambda _: None))
    assert "IAM service last-accessed data: AccessDenied" in [str(m) for m in snapshot.missing]
    assert snapshot.last_accessed is None and snapshot.authorization is not None
    found = by_check(run_checks(snapshot, Thresholds(), now=datetime.now(UTC)))
    assert "iam.full_admin" in found and "iam.unused_permissions" not in found


def test_last_accessed_is_asked_only_about_admins_and_can_be_turned_off(aws, cloudtrail_denied):
    iam = aws.client("iam")
    seed_account(iam)
    asked = answer_last_accessed(iam, {ADMIN_ARN: {"ec2": None}})
    snapshot = collect(iam, cloudtrail_denied)
    assert sorted(asked) == [ADMIN_ARN, f"arn:aws:iam::{ACCOUNT}:user/bob"]
    assert [e.arn for e in snapshot.last_accessed if e.services] == [ADMIN_ARN]
    asked.clear()
    assert collect(iam, cloudtrail_denied, service_last_accessed=False).last_accessed is None
    assert asked == []
