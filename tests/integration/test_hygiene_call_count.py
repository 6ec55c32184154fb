"""The digest's AWS calls grow with pages and broad principals only, never with all users."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from aws.cloudtrail import RateLimiter
from aws.collect import collect_snapshot

ACCOUNT = "123456789012"
CREATED = datetime(2025, 1, 1, tzinfo=UTC)
REPORT_HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"
)
REPORT_ROW = (
    "{name},arn:aws:iam::123456789012:user/{name},2025-01-01T00:00:00+00:00,true,"
    "2025-06-01T00:00:00+00:00,2025-01-01T00:00:00+00:00,N/A,false,true,"
    "2025-01-01T00:00:00+00:00,2025-06-01T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,"
    "false,N/A,false,N/A\n"
)


def count_calls(*clients) -> Counter:
    """Counts every API call the clients make, stubbed or sent, by operation name."""
    calls: Counter = Counter()
    for client in clients:
        client.meta.events.register_first(
            "before-call.*.*", lambda model, **_: calls.update([model.name]))
    return calls


def cloudtrail_with_one_page() -> tuple[object, Stubber]:
    client = boto3.client("cloudtrail", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_response("lookup_events", {"Events": []})
    return client, stubber


def collect(iam, cloudtrail):
    limiter = RateLimiter(2, clock=lambda: 0.0, sleep=lambda _: None)
    return collect_snapshot(iam, cloudtrail, now=datetime.now(UTC), sleep=lambda _: None,
                            rate_limiter=limiter)


def calls_on_moto(aws) -> Counter:
    iam = aws.client("iam")
    cloudtrail, stubber = cloudtrail_with_one_page()
    calls = count_calls(iam, cloudtrail)
    with stubber:
        snapshot = collect(iam, cloudtrail)
    assert snapshot.missing == ()
    return calls


def test_calls_on_moto_do_not_grow_from_3_to_100_users(aws):
    iam = aws.client("iam")
    iam.generate_credential_report()  # later polls then find it ready, as AWS does within 4 h
    for number in range(3):
        iam.create_user(UserName=f"user{number}")
        iam.create_access_key(UserName=f"user{number}")
    few = calls_on_moto(aws)
    for number in range(3, 100):
        iam.create_user(UserName=f"user{number}")
    many = calls_on_moto(aws)
    assert many == few
    assert sum(many.values()) == 8


ADMIN = {"PolicyName": "AdministratorAccess",
         "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
READ_ONLY = {"PolicyName": "ReadOnly", "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/ReadOnly"}


def user_detail(name: str, admin: bool = False) -> dict:
    return {"UserName": name, "UserId": f"AIDA{name.upper():0>16}"[:21],
            "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}", "Path": "/", "CreateDate": CREATED,
            "GroupList": ["devs"], "AttachedManagedPolicies": [ADMIN if admin else READ_ONLY],
            "UserPolicyList": [], "Tags": [{"Key": "slack-user-id", "Value": f"U{name}"}]}


def stubbed_iam(user_count: int, page_size: int, admins: int = 3) -> tuple[object, Stubber, int]:
    """IAM answering with `user_count` synthetic users, `page_size` per details page; the
    first `admins` of them hold AdministratorAccess, the others a narrow policy."""
    client = boto3.client("iam", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    stubber, names = Stubber(client), [f"u{number}" for number in range(user_count)]
    stubber.add_response("generate_credential_report", {"State": "COMPLETE"})
    report = REPORT_HEADER + "".join(REPORT_ROW.format(name=name) for name in names)
    stubber.add_response("get_credential_report", {
        "Content": report.encode(), "GeneratedTime": CREATED, "ReportFormat": "text/csv"})
    pages = [names[start:start + page_size] for start in range(0, user_count, page_size)]
    for number, page in enumerate(pages):
        response = {"UserDetailList": [user_detail(name, name in names[:admins])
                                       for name in page],
                    "IsTruncated": number < len(pages) - 1}
        if response["IsTruncated"]:
            response["Marker"] = f"page{number + 1}"
        stubber.add_response("get_account_authorization_details", response)
    stubber.add_response("list_roles", {"Roles": [], "IsTruncated": False})
    stubber.add_response("get_account_summary", {"SummaryMap": {"Users": user_count}})
    stubber.add_response("list_virtual_mfa_devices", {"VirtualMFADevices": [],
                                                      "IsTruncated": False})
    for number in range(admins):
        stubber.add_response("generate_service_last_accessed_details", {"JobId": "j" * 36},
                             {"Arn": f"arn:aws:iam::{ACCOUNT}:user/u{number}"})
    for _ in range(admins):
        stubber.add_response("get_service_last_accessed_details", {
            "JobStatus": "COMPLETED", "JobCreationDate": CREATED, "JobCompletionDate": CREATED,
            "ServicesLastAccessed": [{"ServiceName": "Amazon S3", "ServiceNamespace": "s3"}]})
    stubber.add_client_error("get_account_password_policy", "NoSuchEntity", http_status_code=404)
    return client, stubber, len(pages)


def calls_with_stubs(user_count: int) -> tuple[Counter, int]:
    iam, iam_stubber, pages = stubbed_iam(user_count, page_size=1000)
    cloudtrail, trail_stubber = cloudtrail_with_one_page()
    calls = count_calls(iam, cloudtrail)
    with iam_stubber, trail_stubber:
        snapshot = collect(iam, cloudtrail)
        iam_stubber.assert_no_pending_responses()
    assert snapshot.missing == ()
    assert len(snapshot.credential_report.rows) == len(snapshot.authorization.users) == user_count
    return calls, pages


@pytest.mark.parametrize("user_count", [100, 5000])
def test_calls_grow_only_with_authorization_detail_pages(user_count):
    calls, pages = calls_with_stubs(user_count)
    assert calls.pop("GetAccountAuthorizationDetails") == pages
    assert calls == Counter({
        "GenerateCredentialReport": 1, "GetCredentialReport": 1, "ListRoles": 1,
        "GetAccountSummary": 1, "ListVirtualMFADevices": 1, "GetAccountPasswordPolicy": 1,
        "LookupEvents": 1,
        # only the three admins are asked about, whatever the number of users
        "GenerateServiceLastAccessedDetails": 3, "GetServiceLastAccessedDetails": 3,
    })
