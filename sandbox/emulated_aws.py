"""The sandbox's AWS: moto in this process, on loopback, following the sandbox's clock."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs

import boto3
import moto.core.responses
import moto.core.utils
import moto.iam.models
import moto.sts.models
from moto.core.responses import ActionResult
from moto.iam.responses import IamResponse
from moto.server import ThreadedMotoServer
from moto.sts.models import sts_backends

from sandbox import seed

HOST = "127.0.0.1"
# Every module that took moto's `utcnow` by name: key and user creation dates, last-used
# dates, STS expirations and the credential report all read the time through these.
MOTO_CLOCK_USERS = (moto.core.utils, moto.core.responses, moto.iam.models, moto.sts.models)
Clock = Callable[[], datetime]


class _KnownEmulatorGaps(logging.Filter):
    """moto logs a traceback for calls it does not emulate (CloudTrail LookupEvents); the bot
    already reports a missing data source in the digest, so the terminal stays readable."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "has not been implemented" not in record.getMessage()


class EmulatorGaps:
    """Answers, at once, the calls moto does not emulate and the digest makes: CloudTrail
    LookupEvents (no events) and IAM's service last-accessed data (every service the
    principal may use, last used `last_used_days` ago by the sandbox clock: a demo account
    that never used most of what it is granted). Each would otherwise fail after retries."""

    LOOKUP_EVENTS = "CloudTrail_20131101.LookupEvents"  # the end of the X-Amz-Target header
    IAM_XMLNS = "https://iam.amazonaws.com/doc/2010-05-08/"
    DEMO_SERVICES = (("s3", 2), ("ec2", None), ("kms", None), ("iam", 400))

    def __init__(self, app: Callable[..., Any], clock: Clock) -> None:
        self.app = app
        self.clock = clock
        self.jobs: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if str(environ.get("HTTP_X_AMZ_TARGET", "")).endswith(self.LOOKUP_EVENTS):
            start_response("200 OK", [("Content-Type", "application/x-amz-json-1.1")])
            return [b'{"Events": []}']
        form = self._form(environ)
        action = form.get("Action", "")
        if action == "GenerateServiceLastAccessedDetails":
            self.jobs.append(form.get("Arn", ""))
            job_id = f"{len(self.jobs) - 1:036d}"  # AWS's job ids are 36 characters long
            return self._xml(start_response, action, f"<JobId>{job_id}</JobId>")
        if action == "GetServiceLastAccessedDetails":
            return self._xml(start_response, action, self._last_accessed())
        return self.app(environ, start_response)

    @staticmethod
    def _form(environ: dict[str, Any]) -> dict[str, str]:
        """The query-protocol form of an IAM/STS call; the body is put back for moto."""
        if "x-www-form-urlencoded" not in str(environ.get("CONTENT_TYPE", "")):
            return {}
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}

    def _last_accessed(self) -> str:
        now = self.clock().astimezone(timezone.utc)
        members = "".join(
            f"<member><ServiceName>{name}</ServiceName><ServiceNamespace>{name}"
            "</ServiceNamespace>"
            + (f"<LastAuthenticated>{(now - timedelta(days=days)):%Y-%m-%dT%H:%M:%SZ}"
               "</LastAuthenticated>" if days is not None else "")
            + "</member>" for name, days in self.DEMO_SERVICES)
        return (f"<JobStatus>COMPLETED</JobStatus><IsTruncated>false</IsTruncated>"
                f"<ServicesLastAccessed>{members}</ServicesLastAccessed>")

    def _xml(self, start_response: Callable[..., Any], action: str, result: str) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/xml")])
        return [(f'<{action}Response xmlns="{self.IAM_XMLNS}"><{action}Result>{result}'
                 f"</{action}Result><ResponseMetadata><RequestId>sandbox</RequestId>"
                 f"</ResponseMetadata></{action}Response>").encode()]


def follow_clock(clock: Clock) -> Callable[[], None]:
    """Make moto's notion of now the sandbox clock; returns what undoes it."""
    saved = [(module, module.utcnow) for module in MOTO_CLOCK_USERS]
    saved_report = IamResponse.get_credential_report

    def utcnow() -> datetime:
        return clock().astimezone(timezone.utc).replace(tzinfo=None)  # moto keeps naive UTC

    def get_credential_report(self: IamResponse) -> Any:
        report = saved_report(self).result  # moto stamps every report 2015-02-02
        assert isinstance(report, dict)
        return ActionResult({**report, "GeneratedTime": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")})

    for module, _ in saved:
        module.utcnow = utcnow
    IamResponse.get_credential_report = get_credential_report

    def undo() -> None:
        for module, original in saved:
            module.utcnow = original
        IamResponse.get_credential_report = saved_report
    return undo


def start_aws(clock: Clock, stops: list[Callable[[], Any]]) -> str:
    """moto's server on loopback, boto3 pointed at it with fake keys, the demo account in it."""
    werkzeug = logging.getLogger("werkzeug")
    werkzeug.setLevel(logging.WARNING)
    werkzeug.addFilter(_KnownEmulatorGaps())
    stops.append(follow_clock(clock))
    server = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
    server.start()
    stops.append(server.stop)
    server._server.app = EmulatorGaps(server._server.app, clock)  # werkzeug reads it per request
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(aws_environment(endpoint))
    seed.seed_aws(boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint))
    seed.seed_accounts(boto3.client("sts", region_name="us-east-1", endpoint_url=endpoint),
                       lambda keys: boto3.client(
                           "iam", region_name="us-east-1", endpoint_url=endpoint,
                           aws_access_key_id=keys["AccessKeyId"],
                           aws_secret_access_key=keys["SecretAccessKey"],
                           aws_session_token=keys["SessionToken"]))
    seed.age_credentials(clock())
    return endpoint


def aws_environment(endpoint: str) -> dict[str, str]:
    """What points boto3 (the bot's, or the CLI's in another terminal) at the emulator."""
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "sandbox",
            "AWS_SECRET_ACCESS_KEY": "sandbox", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true"}


def session_end(access_key_id: str) -> datetime | None:
    """When the emulated STS session of these credentials stops working (its expiry, or the
    session policy's `aws:CurrentTime` limit if earlier); None for credentials it never issued."""
    for session in sts_backends[seed.ACCOUNT]["aws"].assumed_roles:
        if session.access_key_id == access_key_id:
            ends = [session.expiration.replace(tzinfo=timezone.utc)]
            limit = _policy_time_limit(session.policy)
            return min([*ends, limit] if limit else ends)
    return None


def _policy_time_limit(policy: str | None) -> datetime | None:
    try:
        statements = json.loads(policy or "{}").get("Statement", [])
        limits = [s["Condition"]["DateLessThan"]["aws:CurrentTime"] for s in statements
                  if "aws:CurrentTime" in s.get("Condition", {}).get("DateLessThan", {})]
    except (ValueError, AttributeError, TypeError):
        return None
    moments = [datetime.fromisoformat(t.replace("Z", "+00:00")) for t in limits]
    return min(moments) if moments else None
