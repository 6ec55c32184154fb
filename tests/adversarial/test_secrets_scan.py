"""After a full mixed run, no secret handed out is in the database, the logs or outside DMs."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from aws.account_data import AwsAccountData
from tests.adversarial.aws_faults import AwsFaults
from tests.adversarial.checks import handed_out, outside_dms, secrets_in, settle
from tests.conftest import issued_by_sts
from tests.digest_seed import DigestClients
from tests.e2e.conftest import ADMIN, DEV, DEV2, LEAD, OTHER, PROD_APPROVALS, base_config

HYGIENE = "C0HYGIENE"


@pytest.fixture
def config():
    settings = base_config()
    settings["digest"] = {"channel": HYGIENE}
    return settings


def quiet_cloudtrail():
    """LookupEvents answers one empty page at once (moto has none)."""
    client = boto3.client("cloudtrail", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")

    def answer(model, **_):
        if model.name == "LookupEvents":
            return AWSResponse("https://cloudtrail/", 200, {}, None), {"Events": []}
        return None
    client.meta.events.register_first("before-call.cloudtrail.*", answer)
    return client


def with_rotation_and_digest(gh) -> None:
    """DEV is mapped to an IAM user with a key; the digest reads IAM without sleeping."""
    gh.iam.create_user(UserName="dev", Tags=[{"Key": "slack-user-id", "Value": DEV}])
    gh.iam.create_access_key(UserName="dev")
    gh.iam.generate_credential_report()
    feature = gh.runtime.digest
    clients = DigestClients(gh.runtime.aws_clients, quiet_cloudtrail())
    feature.service.source = AwsAccountData(clients, sleep=lambda _: None)




def approve(gh, number: int, channel: str = "C0APPROVALS", by: str = LEAD) -> None:
    gh.client.click(by, "approve", str(number), message=gh.request_message(number, channel))
    gh.idle()


def mixed_run(gh) -> None:
    """Grants, an extension, a revoke, an expiry, a refusal, a denial, a form, a key rotation
    and a digest."""
    with_rotation_and_digest(gh)
    clients = gh.runtime.aws_clients
    faults = AwsFaults(clients.sts(), clients.iam())
    prod = gh.file(DEV, "request prod-readonly 1h incident")
    approve(gh, prod, PROD_APPROVALS)
    gh.command(DEV, f"extend R-{prod} 30m still on it")
    gh.answer(DEV, "more on R-")
    approve(gh, prod + 1, PROD_APPROVALS)
    gh.file(DEV2, "request sandbox 30m try things")
    gh.command(DEV, "request")
    gh.slack.wait_for(lambda: gh.slack.views(DEV))
    gh.client.submit_view(DEV, "request_modal", {"role": {"value": "dev"},
                                                 "duration": {"value": "1h"},
                                                 "reason": {"value": "from the form"}})
    gh.idle()
    denied = gh.file(OTHER, "request dev 1h please")
    gh.client.click(LEAD, "deny", str(denied), message=gh.request_message(denied))
    gh.slack.wait_for(lambda: gh.slack.views(LEAD))
    gh.client.submit_view(LEAD, "deny_modal", {"reason": {"value": "not today"}})
    faults.fail("AssumeRole", "denied")
    refused = gh.file(DEV2, "request dev 30m refused")
    approve(gh, refused)
    gh.command(DEV, "rotate-key")
    gh.answer(DEV, "access key", timeout=10)
    gh.command(ADMIN, "digest")
    gh.answer(ADMIN, "Digest posted", timeout=20)
    gh.command(DEV, "list")
    gh.command(ADMIN, "audit 7")
    gh.idle()
    gh.command(DEV, f"revoke R-{prod}")
    gh.answer(DEV, "revoked")
    settle(gh)


def test_no_secret_outside_dms_the_database_or_the_logs(gatehouse, captured_logs):
    gh = gatehouse
    from_sts = issued_by_sts(gh)
    mixed_run(gh)
    secrets = handed_out(gh.slack) | set(from_sts)
    assert len(from_sts) >= 6 and len(secrets) > len(from_sts), "too few secrets to scan for"
    db = Path(gh.env["GATEHOUSE_DB"])
    stored = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    logged, shown = captured_logs.getvalue(), outside_dms(gh.slack)
    assert '"message": "grant.revoked"' in logged, "the logs were not captured"
    assert [s for s in secrets if s.encode() in stored] == []
    assert [s for s in secrets if s in logged] == []
    assert [s for s in secrets if s in shown] == []
    assert handed_out(gh.slack) - set(from_sts), "sign-in links were not scanned for"
    rotated = {secret for m in gh.dms(DEV) for v in m.history
               for secret in secrets_in(v.text + json.dumps(v.blocks))
               if "aws_secret_access_key" in json.dumps(v.blocks)} - set(from_sts)
    assert rotated and rotated <= secrets, "the rotated key's secret was not scanned for"
    assert gh.slack.messages(HYGIENE), "the digest was not posted"
