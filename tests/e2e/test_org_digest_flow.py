"""The organisation-wide digest from Slack: `/access digest` posts a row per account, each
account's details in the thread, and names an account whose manage role is refused."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.digest_seed import freeze_moto_iam, seed_account
from tests.e2e.conftest import ADMIN, Clock, start_bot, stop_bot
from tests.e2e.test_accounts_flow import PROD, STAGING, accounts_config

HYGIENE = "C0HYGIENE"


def org_config() -> dict:
    """prod and staging with `readonly` in both (as in test_accounts_flow), and a digest."""
    return {**accounts_config(), "digest": {"channel": HYGIENE, "at": "09:00",
                                            "service_last_accessed": False}}


def refuse_staging_manage_role(hub) -> None:
    """Gatehouse's own STS client is refused the staging manage role (a broken trust)."""
    def refuse(params, **_):
        if params.get("RoleArn", "").startswith(f"arn:aws:iam::{STAGING}:"):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not trusted"}},
                              "AssumeRole")
    hub.sts().meta.events.register("provide-client-params.sts.AssumeRole", refuse)


@pytest.fixture
def org(tmp_path, aws, slack, federation, monkeypatch):
    freeze_moto_iam(monkeypatch)
    harness = start_bot(tmp_path, aws, slack, federation, org_config(), Clock())
    seed_account(harness.runtime.accounts.clients(PROD).iam())
    refuse_staging_manage_role(harness.runtime.accounts.hub)
    yield harness
    stop_bot(harness)


def test_an_admin_posts_the_org_digest_and_a_refused_account_is_named(org):
    org.command(ADMIN, "digest")
    org.answer(ADMIN, "Digest posted", timeout=60)
    org.idle()
    summary = next(m for m in org.slack.messages(HYGIENE) if not m.is_reply)
    rows = " ".join(b["text"]["text"] for b in summary.blocks if b["type"] == "section")
    assert "prod" in rows and PROD in rows
    assert "staging" in rows and "NOT CHECKED" in rows and "AccessDenied" in rows
    thread = " ".join(str(m.blocks) for m in org.slack.thread(HYGIENE, summary.ts)[1:])
    assert "alice" in thread  # prod's own findings, read through prod's manage role
    audit = [e for e in org.runtime.audit.entries() if e.action == "digest.posted"]
    assert audit and "staging" in str(audit[-1].details.get("unreachable"))
