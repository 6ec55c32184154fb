"""A seeded IAM account on moto and CloudTrail stand-ins, shared by the digest's tests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import boto3
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

ACCOUNT = "123456789012"
SEEDED = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
ADMIN_DOC = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ_DOC = {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
MOTO_CALLER = f"arn:aws:sts::{ACCOUNT}:user/moto"


def freeze_moto_iam(monkeypatch, at: datetime = SEEDED) -> None:
    """Make moto's IAM stamp every date it creates with `at`, so dates are reproducible."""
    import moto.iam.models

    monkeypatch.setattr(moto.iam.models, "utcnow", lambda: at.replace(tzinfo=None))


def trust(principal) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


def seed_account(iam, owners: dict[str, str] | None = None) -> None:
    """alice: console without MFA, admin directly; bob: console + MFA, admin via a group;
    carol: two keys and an inline policy; svc: one unused key. Roles: open (anyone may
    assume it) and scoped. A weak password policy. `owners` maps user -> Slack user id."""
    owners = owners or {"alice": "U0DEV", "carol": "U0DEV2"}
    admin_arn = iam.create_policy(PolicyName="FullAdmin",
                                  PolicyDocument=json.dumps(ADMIN_DOC))["Policy"]["Arn"]
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn=admin_arn)
    for name in ("alice", "bob", "carol", "svc"):
        tags = [{"Key": "slack-user-id", "Value": owners[name]}] if name in owners else []
        iam.create_user(UserName=name, Tags=tags)
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
    iam.create_role(RoleName="open", AssumeRolePolicyDocument=trust("*"),
                    MaxSessionDuration=43200)
    iam.create_role(RoleName="scoped", AssumeRolePolicyDocument=trust(
        {"AWS": "arn:aws:iam::111122223333:root"}))
    iam.update_account_password_policy(MinimumPasswordLength=8, RequireNumbers=True,
                                       RequireUppercaseCharacters=True,
                                       RequireLowercaseCharacters=True, MaxPasswordAge=90,
                                       PasswordReusePrevention=24)
    iam.generate_credential_report()  # later polls find it ready, as AWS does within 4 h


def seed_iam_risks(iam) -> dict[str, dict[str, datetime | None]]:
    """On top of `seed_account`: a role open to anyone under a condition that narrows
    nothing, an admin role people assume for 12 h, a service role without a source condition,
    ci (can pass roles to EC2 and write users' inline policies), a kms:* policy, an unattached
    admin policy. Returns the service last-accessed data to answer for alice."""
    statement = {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
                 "Condition": {"Bool": {"aws:SecureTransport": "true"}}}
    iam.create_role(RoleName="secure-only", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [statement]}))
    iam.create_role(RoleName="deploy-admin", MaxSessionDuration=43200,
                    AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    iam.put_role_policy(RoleName="deploy-admin", PolicyName="everything",
                        PolicyDocument=json.dumps(ADMIN_DOC))
    iam.create_role(RoleName="events-target",
                    AssumeRolePolicyDocument=trust({"Service": "events.amazonaws.com"}))
    iam.create_user(UserName="ci")
    iam.put_user_policy(UserName="ci", PolicyName="deploy", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances", "iam:Put*"],
             "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:PutRolePolicy", "Resource": "*"}]}))
    kms = iam.create_policy(PolicyName="KeyAdmin", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}))["Policy"]
    iam.attach_user_policy(UserName="ci", PolicyArn=kms["Arn"])
    iam.create_policy(PolicyName="OldAdmin", PolicyDocument=json.dumps(ADMIN_DOC))
    return {f"arn:aws:iam::{ACCOUNT}:user/alice": {
        "s3": datetime(2026, 11, 29, tzinfo=UTC), "ec2": None,
        "kms": SEEDED - timedelta(days=30)}}


def record(name: str, at: datetime, *, who: dict, source: str = "iam.amazonaws.com",
           **fields) -> dict:
    base = {"eventVersion": "1.08", "eventID": f"{name}-{who.get('userName', 'x')}-{at:%H%M%S}",
            "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "eventName": name,
            "eventSource": source, "awsRegion": "us-east-1",
            "sourceIPAddress": "198.51.100.7", "readOnly": False, "userIdentity": who}
    return {**base, **fields}


def user_identity(name: str) -> dict:
    return {"type": "IAMUser", "userName": name, "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}"}


def trail_records(now: datetime) -> list[dict]:
    """Root signs in, mallory changes IAM, bob fails to sign in twice, Gatehouse changes IAM."""
    hours = [now - timedelta(hours=h) for h in (7, 6, 5, 4, 3)]
    root = {"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root"}
    failure = {"responseElements": {"ConsoleLogin": "Failure"},
               "additionalEventData": {"MFAUsed": "No"}}
    return [
        record("ConsoleLogin", hours[0], who=root, source="signin.amazonaws.com",
               responseElements={"ConsoleLogin": "Success"},
               additionalEventData={"MFAUsed": "No"}),
        record("CreateUser", hours[1], who=user_identity("mallory")),
        record("AttachUserPolicy", hours[2], who=user_identity("mallory")),
        record("ConsoleLogin", hours[3], who=user_identity("bob"), source="signin.amazonaws.com",
               **failure),
        record("ConsoleLogin", hours[3] + timedelta(minutes=2), who=user_identity("bob"),
               source="signin.amazonaws.com", eventID="second-failure", **failure),
        record("PutRolePolicy", hours[4], who={"type": "IAMUser", "userName": "moto",
                                               "arn": MOTO_CALLER}),
    ]


def lookup_page(records: list[dict]) -> dict:
    return {"Events": [{
        "EventId": r["eventID"], "EventName": r["eventName"], "ReadOnly": "false",
        "EventTime": datetime.fromisoformat(r["eventTime"].replace("Z", "+00:00")),
        "EventSource": r["eventSource"], "CloudTrailEvent": json.dumps(r),
    } for r in records]}


def stubbed_cloudtrail(pages: list[list[dict] | None]) -> tuple[object, Stubber]:
    """A CloudTrail client answering LookupEvents once per entry: events, or AccessDenied."""
    client = boto3.client("cloudtrail", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    stubber = Stubber(client)
    for page in pages:
        if page is None:
            stubber.add_client_error("lookup_events", "AccessDenied", http_status_code=403)
        else:
            stubber.add_response("lookup_events", lookup_page(page))
    stubber.activate()
    return client, stubber


LastUsed = Mapping[str, Mapping[str, datetime | None]]


def answer_last_accessed(iam, last_used: LastUsed | None = None) -> list[str]:
    """moto lacks IAM's service last-accessed calls: answer them on this client, as botocore's
    Stubber does, from `last_used` (principal ARN -> service -> last use, None for never).
    Returns the ARNs asked about, in order."""
    asked: list[str] = []

    def answer(model, params, **_):
        if model.name == "GenerateServiceLastAccessedDetails":
            asked.append(params["body"]["Arn"])
            return AWSResponse("https://iam.amazonaws.com/", 200, {}, None), {
                "JobId": f"{len(asked) - 1:036d}"}
        if model.name == "GetServiceLastAccessedDetails":
            arn = asked[int(params["body"]["JobId"])]
            services = [{"ServiceName": name, "ServiceNamespace": name,
                         **({"LastAuthenticated": when} if when else {})}
                        for name, when in sorted((last_used or {}).get(arn, {}).items())]
            return AWSResponse("https://iam.amazonaws.com/", 200, {}, None), {
                "JobStatus": "COMPLETED", "ServicesLastAccessed": services, "IsTruncated": False}
        return None

    iam.meta.events.register_first("before-call.iam.*", answer)
    return asked


class DigestClients:
    """The bot's clients with CloudTrail replaced (moto has no LookupEvents) and IAM's
    service last-accessed calls answered from `last_used` (moto lacks them too)."""

    def __init__(self, clients, cloudtrail, last_used: LastUsed | None = None) -> None:
        self.clients = clients
        self.trail = cloudtrail
        self.last_used = last_used

    def iam(self):
        client = self.clients.iam()
        answer_last_accessed(client, self.last_used)
        return client

    def s3(self):
        return self.clients.s3()

    def sts(self):
        return self.clients.sts()

    def cloudtrail(self, region: str = "us-east-1"):
        return self.trail
