"""The sandbox's own parts: emulated AWS on the sandbox clock, the console stand-in, mentions,
and the clock buttons' daily digest."""

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest
import requests

from fake_services.fake_federation import FakeFederation
from fake_services.slack_models import User
from sandbox.emulated_aws import follow_clock, session_end
from sandbox.page import ClockControl, slack_mentions

LATER = datetime(2031, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
ROLE_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": "sts:AssumeRole"}]})


@pytest.fixture
def later_aws(aws):
    undo = follow_clock(lambda: LATER)
    yield aws
    undo()


def test_emulated_aws_dates_follow_the_sandbox_clock(later_aws):
    iam = later_aws.client("iam")
    iam.create_user(UserName="probe")
    key = iam.create_access_key(UserName="probe")["AccessKey"]
    assert key["CreateDate"] == LATER
    iam.generate_credential_report()
    assert iam.get_credential_report()["GeneratedTime"] == LATER


def test_a_session_ends_at_its_expiry_or_its_policy_limit_whichever_is_first(later_aws):
    iam, sts = later_aws.client("iam"), later_aws.client("sts")
    arn = iam.create_role(RoleName="Probe", AssumeRolePolicyDocument=ROLE_TRUST)["Role"]["Arn"]
    limit = LATER + timedelta(minutes=20)
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {"DateLessThan": {"aws:CurrentTime": limit.strftime("%Y-%m-%dT%H:%M:%SZ")}}}]}
    narrowed = sts.assume_role(RoleArn=arn, RoleSessionName="narrow", DurationSeconds=3600,
                               Policy=json.dumps(policy))["Credentials"]
    plain = sts.assume_role(RoleArn=arn, RoleSessionName="plain",
                            DurationSeconds=900)["Credentials"]
    assert session_end(narrowed["AccessKeyId"]) == limit
    assert session_end(plain["AccessKeyId"]) == LATER + timedelta(minutes=15)
    assert session_end("ASIANEVERISSUED") is None


class Clock:
    def __init__(self):
        self.now = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now


@pytest.fixture
def console():
    clock, ends = Clock(), {"ASIAGOOD": datetime(2030, 1, 1, 13, 0, tzinfo=timezone.utc)}
    fake = FakeFederation(clock=clock, session_end=ends.get).start()
    yield fake, clock
    fake.stop()


def sign_in(fake, key="ASIAGOOD"):
    session = json.dumps({"sessionId": key, "sessionKey": "k", "sessionToken": "t"})
    token = requests.get(fake.url, params={"Action": "getSigninToken", "Session": session},
                         timeout=5).json()["SigninToken"]
    return lambda: requests.get(fake.url, params={"Action": "login", "SigninToken": token},
                                timeout=5)


def test_the_console_signs_in_with_a_fresh_token_of_a_live_session(console):
    fake, _ = console
    page = sign_in(fake)()
    assert page.status_code == 200 and "Signed in with a Gatehouse grant" in page.text


def test_the_console_refuses_a_bogus_token_and_unknown_credentials(console):
    fake, _ = console
    bogus = requests.get(fake.url, params={"Action": "login", "SigninToken": "made-up"},
                         timeout=5)
    assert bogus.status_code == 400 and "not valid" in bogus.text
    unknown = sign_in(fake, key="ASIAUNKNOWN")()
    assert unknown.status_code == 400 and "never issued" in unknown.text


def test_the_console_shows_an_expired_session_and_an_expired_link_as_expired(console):
    fake, clock = console
    login = sign_in(fake)
    clock.now += timedelta(minutes=16)
    stale = login()
    assert stale.status_code == 403 and "links last 15 minutes" in stale.text
    clock.now += timedelta(hours=1)
    ended = login()
    assert ended.status_code == 403 and "Session expired" in ended.text
    assert "2030-01-01 13:00 UTC" in ended.text


MEMBERS = [User("U0ENGINEER", "erin"), User("U0LEAD", "lee")]


@pytest.mark.parametrize(("typed", "command", "message"), [
    ("/access rotate-key @erin", "/access rotate-key <@U0ENGINEER|erin>",
     "/access rotate-key <@U0ENGINEER>"),
    ("ask @Lee.", "ask <@U0LEAD|lee>.", "ask <@U0LEAD>."),
    ("mail erin@example.com or @nobody", "mail erin@example.com or @nobody",
     "mail erin@example.com or @nobody"),
    ("already <@U0LEAD>", "already <@U0LEAD>", "already <@U0LEAD>"),
])
def test_typed_mentions_become_slack_mentions(typed, command, message):
    assert slack_mentions(typed, MEMBERS, with_name=True) == command
    assert slack_mentions(typed, MEMBERS, with_name=False) == message


def test_the_clock_buttons_post_the_daily_digest_once_it_is_due():
    calls = []
    clock = ClockControl(now=Clock(), advance=lambda minutes: None, sweep=lambda: 0,
                         idle=lambda: True, daily=lambda: calls.append("daily") or True)
    assert clock.move(60) == {"ran": 0, "digest": True}
    assert calls == ["daily"]


def test_a_failing_daily_digest_does_not_break_the_clock_buttons():
    def fail():
        raise RuntimeError("Slack is down")
    clock = ClockControl(now=Clock(), advance=lambda minutes: None, sweep=lambda: 0,
                         idle=lambda: True, daily=fail)
    assert clock.move(15)["digest"] is False


def test_the_sandbox_answers_what_moto_lacks_and_passes_the_rest_through():
    from moto.server import ThreadedMotoServer

    from sandbox.emulated_aws import EmulatorGaps

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        server._server.app = EmulatorGaps(server._server.app, lambda: LATER)
        host, port = server.get_host_and_port()
        session = boto3.session.Session(aws_access_key_id="sandbox",
                                        aws_secret_access_key="sandbox", region_name="us-east-1")
        iam = session.client("iam", endpoint_url=f"http://{host}:{port}")
        arn = iam.create_user(UserName="probe")["User"]["Arn"]  # moto still gets the body
        job = iam.generate_service_last_accessed_details(Arn=arn)["JobId"]
        details = iam.get_service_last_accessed_details(JobId=job)
        trail = session.client("cloudtrail", endpoint_url=f"http://{host}:{port}")
        assert trail.lookup_events(MaxResults=5)["Events"] == []
    finally:
        server.stop()
    used = {s["ServiceNamespace"]: s.get("LastAuthenticated")
            for s in details["ServicesLastAccessed"]}
    assert details["JobStatus"] == "COMPLETED"
    assert used["s3"] == LATER - timedelta(days=2) and used["ec2"] is None
