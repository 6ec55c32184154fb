"""STS and IAM wrappers for grants, against moto's server, plus error wording and sign-in links."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from botocore.config import Config
from botocore.stub import Stubber

from aws.clients import AwsClients
from aws.console import console_signin_url, urllib_get
from aws.errors import AwsError
from aws.iam import (
    build_session_policy,
    list_revoke_denies,
    put_revoke_deny,
    remove_revoke_deny,
    role_max_session_seconds,
)
from aws.sts import (
    GrantCredentials,
    assume_role_for_grant,
    caller_identity,
    session_name_for,
    session_tags_for,
    source_identity_for,
)

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
        }
    ],
}
MISSING_ROLE = "arn:aws:iam::123456789012:role/DoesNotExist"


def make_role(iam, name="ProdReadOnly", path="/", max_seconds=14400) -> str:
    role = iam.create_role(
        RoleName=name,
        Path=path,
        AssumeRolePolicyDocument=json.dumps(TRUST),
        MaxSessionDuration=max_seconds,
    )
    return role["Role"]["Arn"]


def grant_arguments(role_arn: str, **changes) -> dict:
    ends_at = datetime.now(UTC) + timedelta(hours=1)
    arguments = {
        "role_arn": role_arn,
        "duration_seconds": 3600,
        "session_name": session_name_for("U0ABC", 42),
        "source_identity": source_identity_for("ana@example.com", "U0ABC"),
        "session_tags": session_tags_for(42, "ana@example.com", "prod-readonly"),
        "session_policy": build_session_policy(source_ips=["203.0.113.0/24"], ends_at=ends_at),
    }
    return arguments | changes


def test_clients_are_built_once_and_share_the_retry_policy(aws):
    clients = AwsClients.from_environment()
    assert clients.region == "us-east-1"
    assert clients.sts() is clients.sts()
    assert clients.cloudtrail() is not clients.cloudtrail("eu-west-1")
    config = clients.iam().meta.config
    # botocore counts the first try too: max_attempts 5 retries means 6 attempts in all.
    assert config.retries == {"mode": "adaptive", "total_max_attempts": 6}
    assert (config.connect_timeout, config.read_timeout) == (5, 20)
    assert caller_identity(clients.sts()).account == "123456789012"


def test_caller_identity_of_a_plain_user_is_not_role_chaining(aws):
    identity = caller_identity(aws.client("sts"))
    assert identity.account == "123456789012"
    assert not identity.is_role_session


def test_assume_role_for_grant_returns_masked_credentials(aws):
    role_arn = make_role(aws.client("iam"))
    sts = aws.client("sts")
    sent: dict = {}
    sts.meta.events.register(
        "provide-client-params.sts.AssumeRole", lambda params, **_: sent.update(params)
    )

    credentials = assume_role_for_grant(sts, **grant_arguments(role_arn))

    assert isinstance(credentials, GrantCredentials)
    assert credentials.assumed_role_arn.endswith(":assumed-role/ProdReadOnly/gatehouse-U0ABC-R42")
    assert credentials.expiration.tzinfo == UTC
    assert credentials.secret_access_key not in repr(credentials)
    assert credentials.session_token not in repr(credentials)
    assert sent["DurationSeconds"] == 3600
    assert sent["SourceIdentity"] == "ana@example.com"
    assert {"Key": "gatehouse-request", "Value": "R-42"} in sent["Tags"]
    assert " " not in sent["Policy"] and json.loads(sent["Policy"])["Version"] == "2012-10-17"


@pytest.mark.parametrize(
    "changes",
    [
        {"duration_seconds": 899},
        {"duration_seconds": 43201},
        {"session_name": "has space"},
        {"session_name": "x" * 65},
        {"source_identity": "aws:ana"},
        {"session_tags": {"aws:reserved": "x"}},
        {"session_policy": {"Version": "2012-10-17", "Statement": ["x" * 2100]}},
    ],
)
def test_assume_role_for_grant_refuses_what_aws_would_refuse(aws, changes):
    sts = aws.client("sts")
    with Stubber(sts) as stubbed:  # no response queued: any call to AWS would fail the test
        with pytest.raises(AwsError) as raised:
            assume_role_for_grant(sts, **grant_arguments(MISSING_ROLE, **changes))
        stubbed.assert_no_pending_responses()
    assert raised.value.code == "ValidationError"
    assert raised.value.message.startswith("Gatehouse cannot ask AWS for this grant")


def test_access_denied_on_assume_role_is_explained(aws):
    sts = aws.client("sts")
    with Stubber(sts) as stubbed:
        stubbed.add_client_error("assume_role", "AccessDenied", "not authorized", 403)
        with pytest.raises(AwsError) as raised:
            assume_role_for_grant(sts, **grant_arguments(MISSING_ROLE))
    assert raised.value.code == "AccessDenied"
    assert str(raised.value) == (
        f"AWS refused AssumeRole on {MISSING_ROLE}: AccessDenied — "
        "the role's trust policy does not allow the Gatehouse principal"
    )


def test_role_max_session_seconds_reads_the_role_even_with_a_path(aws):
    iam = aws.client("iam")
    assert role_max_session_seconds(iam, make_role(iam, max_seconds=14400)) == 14400
    nested = make_role(iam, name="Admin", path="/team/ops/", max_seconds=3600)
    assert nested.endswith(":role/team/ops/Admin")
    assert role_max_session_seconds(iam, nested) == 3600


def test_missing_role_gives_a_readable_error(aws):
    with pytest.raises(AwsError) as raised:
        role_max_session_seconds(aws.client("iam"), MISSING_ROLE)
    assert raised.value.code == "NoSuchEntity"
    assert raised.value.message == (
        f"AWS refused GetRole on {MISSING_ROLE}: NoSuchEntity — it does not exist"
    )


def test_unreachable_aws_gives_a_readable_error(aws):
    no_retry = Config(retries={"total_max_attempts": 1}, connect_timeout=1)
    iam = aws.session.client("iam", endpoint_url="http://127.0.0.1:9", config=no_retry)
    with pytest.raises(AwsError) as raised:
        role_max_session_seconds(iam, MISSING_ROLE)
    assert raised.value.code == "Unreachable"
    assert MISSING_ROLE in raised.value.message


def test_revoke_deny_put_list_remove_is_safe_to_repeat(aws):
    iam = aws.client("iam")
    role_arn = make_role(iam, name="Admin", path="/team/")
    issued_before = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

    name = put_revoke_deny(
        iam,
        role_arn=role_arn,
        source_identity="ana@example.com",
        issued_before=issued_before,
    ).policy_name

    assert name.startswith("gatehouse-revoke-ana@example.com-")
    assert list_revoke_denies(iam, role_arn) == [name]
    stored = iam.get_role_policy(RoleName="Admin", PolicyName=name)["PolicyDocument"]
    stored = json.loads(stored) if isinstance(stored, str) else stored
    condition = stored["Statement"][0]["Condition"]
    assert condition["StringEquals"] == {"aws:SourceIdentity": "ana@example.com"}
    assert condition["DateLessThan"] == {"aws:TokenIssueTime": "2024-05-01T12:00:00Z"}
    assert remove_revoke_deny(iam, role_arn=role_arn, policy_name=name) is True
    assert list_revoke_denies(iam, role_arn) == []
    assert remove_revoke_deny(iam, role_arn=role_arn, policy_name=name) is False


def test_list_revoke_denies_ignores_other_inline_policies(aws):
    iam = aws.client("iam")
    role_arn = make_role(iam)
    other = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    iam.put_role_policy(
        RoleName="ProdReadOnly", PolicyName="team-s3", PolicyDocument=json.dumps(other)
    )
    now = datetime.now(UTC)
    deny = put_revoke_deny(iam, role_arn=role_arn, source_identity="U0ABC", issued_before=now)
    assert list_revoke_denies(iam, role_arn) == [deny.policy_name]


class FakeFederation(BaseHTTPRequestHandler):
    """Stands in for signin.aws.amazon.com/federation; checks the Session JSON."""

    expected: GrantCredentials

    def do_GET(self):
        query = parse_qs(urlsplit(self.path).query)
        session = json.loads(query["Session"][0])
        wanted = {
            "sessionId": self.expected.access_key_id,
            "sessionKey": self.expected.secret_access_key,
            "sessionToken": self.expected.session_token,
        }
        good = query["Action"] == ["getSigninToken"] and session == wanted
        body = json.dumps({"SigninToken": f"token-for-{query['SessionDuration'][0]}"})
        self.send_response(200 if good else 400)
        self.end_headers()
        self.wfile.write(body.encode() if good else b"bad session")

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def federation():
    FakeFederation.expected = GrantCredentials(
        "ASIAFAKE", "secret/+=", "token+/=", datetime.now(UTC), "arn:aws:sts::1:assumed-role/R/s"
    )
    server = HTTPServer(("127.0.0.1", 0), FakeFederation)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/federation"
    server.shutdown()
    server.server_close()


HTTP_GETS = pytest.mark.parametrize(
    "http_get", [urllib_get, requests.get], ids=["urllib", "requests"]
)


@HTTP_GETS
def test_console_signin_url_goes_through_the_federation_flow(federation, http_get):
    url = console_signin_url(
        FakeFederation.expected,
        federation_url=federation,
        issuer="Gatehouse",
        session_seconds=3600,
        http_get=http_get,
    )
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(federation + "?")
    assert query["Action"] == ["login"]
    assert query["Issuer"] == ["Gatehouse"]
    assert query["Destination"] == ["https://console.aws.amazon.com/"]
    assert query["SigninToken"] == ["token-for-3600"]


@HTTP_GETS
def test_console_signin_url_reports_a_refusing_endpoint(federation, http_get):
    wrong = GrantCredentials("ASIAOTHER", "x", "y", datetime.now(UTC), "arn:x")
    with pytest.raises(AwsError) as raised:
        console_signin_url(
            wrong, federation_url=federation, issuer="G", session_seconds=900, http_get=http_get
        )
    assert raised.value.code == "FederationFailed"
    assert "HTTP 400" in raised.value.message


@HTTP_GETS
def test_console_signin_url_reports_an_unreachable_endpoint_without_secrets(http_get):
    credentials = GrantCredentials("ASIAX", "very-secret", "tok", datetime.now(UTC), "arn:x")
    with pytest.raises(AwsError) as raised:
        console_signin_url(
            credentials,
            federation_url="http://127.0.0.1:9/federation",
            issuer="G",
            session_seconds=900,
            http_get=http_get,
        )
    assert raised.value.code == "Unreachable"
    assert "very-secret" not in raised.value.message
    assert raised.value.__cause__ is None and raised.value.__context__ is None


@pytest.mark.parametrize("seconds", [899, 43201])
def test_console_session_duration_is_bounded(seconds):
    credentials = GrantCredentials("ASIAX", "s", "t", datetime.now(UTC), "arn:x")
    with pytest.raises(AwsError):
        console_signin_url(
            credentials, federation_url="http://unused", issuer="G", session_seconds=seconds
        )
