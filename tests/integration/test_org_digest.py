"""The org digest on moto: three accounts, one manage role broken, fixes in the right account."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
import yaml
from botocore.awsrequest import AWSResponse
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from aws.accounts import AccountSessions
from aws.clients import AwsClients
from aws.fixes import IamFixes
from cli_digest import print_digest
from config import parse_config
from domain.digest import button_finding
from domain.org_digest import OrgDigest
from handlers import digest_blocks
from handlers.digest_slack import SlackDigestPublisher
from services.digest_actions import DigestActions
from storage.audit import AuditLog
from storage.database import open_store
from wiring.digest import digest_service

PROD, STAGING, DEV = "111111111111", "333333333333", "222222222222"
OUTSIDE = "999999999999"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
HYGIENE = "C0HYGIENE"


def manage(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:role/GatehouseManage"


def settings(tmp_path) -> dict:
    return {
        "timezone": "UTC", "admins": ["U0ADMIN"], "approvals_channel": "C0APPROVALS",
        "accounts": {name: {"id": account_id, "manage_role": manage(account_id)}
                     for name, account_id in (("prod", PROD), ("staging", STAGING),
                                              ("dev", DEV))},
        "roles": {"readonly": {"arn": f"arn:aws:iam::{PROD}:role/ReadOnly",
                               "max_duration": "1h"}},
        "digest": {"channel": HYGIENE, "service_last_accessed": False, "concurrency": 2},
    }


def no_lookup_events(session) -> None:
    """moto has no CloudTrail LookupEvents: every account's trail answers an empty page."""
    def answer(**_):
        return AWSResponse("https://cloudtrail.us-east-1.amazonaws.com/", 200, {}, None), {
            "Events": []}
    session.events.register_first("before-call.cloudtrail.LookupEvents", answer)


def refuse_assume(hub: AwsClients, role_arn: str) -> None:
    """AWS refuses Gatehouse's AssumeRole into `role_arn` (its trust policy says no)."""
    def answer(params, **_):
        if params["body"].get("RoleArn") != role_arn:
            return None
        return AWSResponse("https://sts.amazonaws.com/", 403, {}, None), {
            "Error": {"Code": "AccessDenied", "Message": "not authorized to perform "
                      "sts:AssumeRole"}, "ResponseMetadata": {"HTTPStatusCode": 403}}
    hub.sts().meta.events.register_first("before-call.sts.AssumeRole", answer)


def trust(principal: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]})


def seed(sessions: AccountSessions) -> None:
    """prod: alice signs in without MFA; bob has a key in prod and staging; staging: a role
    trusting an account outside the organisation, and no password policy."""
    prod, staging = sessions.clients(PROD).iam(), sessions.clients(STAGING).iam()
    prod.create_user(UserName="alice", Tags=[{"Key": "slack-user-id", "Value": "U0ALICE"}])
    prod.create_login_profile(UserName="alice", Password="Correct-Horse-9")
    prod.update_account_password_policy(MinimumPasswordLength=14)
    for iam in (prod, staging):
        iam.create_user(UserName="bob")
        iam.create_access_key(UserName="bob")
    staging.create_role(RoleName="vendor", AssumeRolePolicyDocument=trust(
        f"arn:aws:iam::{OUTSIDE}:root"))
    staging.create_role(RoleName="sibling", AssumeRolePolicyDocument=trust(
        f"arn:aws:iam::{PROD}:root"))
    for iam in (prod, staging):
        iam.generate_credential_report()


@pytest.fixture
def org(aws, tmp_path, fake):
    config = parse_config(settings(tmp_path))
    hub = AwsClients.from_environment("us-east-1")
    refuse_assume(hub, manage(DEV))
    sessions = AccountSessions(hub, config.named_accounts(), on_session=no_lookup_events)
    seed(sessions)
    store = open_store(tmp_path / "g.db")
    publisher = SlackDigestPublisher(WebClient(base_url=fake.api_url, token="xoxb-test"), HYGIENE)
    service = digest_service(config, store, AuditLog(store), hub, publisher=publisher,
                             sleep=lambda _: None, accounts=sessions)
    actions = DigestActions(config, service.store, AuditLog(store), IamFixes(hub),
                            lambda account_id: IamFixes(sessions.clients(account_id)))
    yield service, actions, sessions, config
    store.close()


def keys(finding_list) -> list[str]:
    return [f.key for f in finding_list]


def test_every_account_is_collected_and_the_broken_one_is_named(org):
    service, _, _, _ = org
    digest = service.org.build(NOW)
    assert [row.name for row in digest.rows] == ["prod", "staging", "dev"]
    prod, staging, dev = digest.rows
    assert dev.digest.nothing_read and "manage role" in dev.digest.missing[0]
    assert "AccessDenied" in dev.digest.missing[0] and DEV in dev.digest.missing[0]
    assert not prod.digest.nothing_read and not staging.digest.nothing_read
    assert all(k.startswith(f"{PROD}/") for k in keys(prod.digest.findings))
    assert all(k.startswith(f"{STAGING}/") for k in keys(staging.digest.findings))
    assert any(f.check_id == "user.console_without_mfa" for f in prod.digest.findings)
    assert prod.digest.owners and set(prod.digest.owners.values()) == {"U0ALICE"}
    cross = {f.check_id: f for f in digest.org.findings}
    assert OUTSIDE in cross["org.role_trusts_outside"].title
    assert "vendor" in cross["org.role_trusts_outside"].title  # sibling trusts prod: fine
    assert "prod, staging" in cross["org.user_keys_in_many_accounts"].detail
    assert "staging" in cross["org.accounts_without_password_policy"].detail
    assert not digest.nothing_read and digest.unreachable == (dev,)


def test_the_summary_has_a_row_per_account_and_the_thread_each_accounts_details(org, fake):
    service, _, _, _ = org
    digest, digest_id = service.post(NOW, trigger="command", actor="U0ADMIN")
    assert isinstance(digest, OrgDigest)
    [summary] = fake.messages(HYGIENE)
    text = json.dumps(summary.blocks)
    for name, account_id in (("prod", PROD), ("staging", STAGING), ("dev", DEV)):
        assert f"*{name}* ({account_id})" in text
    assert "NOT CHECKED" in text and "Organisation total" in text
    thread = fake.thread(HYGIENE, summary.ts)
    for message in [summary, *thread]:
        assert len(message.blocks or []) <= 50
        for block in message.blocks or []:
            Block.parse(block).validate_json()
    details = json.dumps([m.blocks for m in thread])
    assert "*prod* (111111111111)" in details and "*staging* (333333333333)" in details
    assert "<@U0ALICE>" in details and "Across accounts" in details
    [chart] = fake.files()
    assert chart.thread_ts == summary.ts and "organisation" in chart.initial_comment
    stored = service.store.latest()
    assert [a["name"] for a in stored.summary["accounts"]] == ["prod", "staging", "dev"]
    entry = list(service.audit.entries())[-1]
    assert entry.details["unreachable"] == ["dev"] and "accounts" not in entry.details


def test_tomorrow_compares_each_account_with_its_own_findings(org):
    service, _, sessions, _ = org
    service.post(NOW, trigger="daily", actor="gatehouse")
    sessions.clients(PROD).iam().delete_login_profile(UserName="alice")
    sessions.clients(PROD).iam().generate_credential_report()
    later = NOW.replace(day=30, hour=10)
    digest = service.org.build(later)
    prod, staging, _ = digest.rows
    assert prod.digest.previous_at is not None and prod.digest.new_count == 0
    assert "user.console_without_mfa" in [f.check_id for f in prod.digest.resolved]
    assert staging.digest.new_count == 0 and not staging.digest.resolved
    assert digest.org.new_count == 0
    assert [p.open for p in prod.digest.trend][-2:] == [None, len(prod.digest.findings)]


def fix_value(digest: OrgDigest, account: str, check_id: str) -> str:
    row = digest.row(account)
    finding = next(f for f in row.digest.findings if f.check_id == check_id
                   and row.digest.fixes.get(f.key))
    return row.digest.fixes[finding.key].button_value


def test_a_fix_acts_in_the_findings_account_through_its_manage_role(org):
    service, actions, sessions, _ = org
    digest, _ = service.post(NOW, trigger="command", actor="U0ADMIN")
    value = fix_value(digest, "prod", "user.console_without_mfa")
    answer = actions.remove_password(value, "U0ADMIN", NOW)
    assert "alice" in answer and PROD in answer
    with pytest.raises(Exception, match="NoSuchEntity|cannot be found"):
        sessions.clients(PROD).iam().get_login_profile(UserName="alice")
    fid, _ = button_finding(value)
    assert service.store.finding(fid).key.startswith(f"{PROD}/")
    entry = list(service.audit.entries())[-1]
    assert entry.action == "digest.fix_applied" and entry.details["account"] == PROD


def test_a_fix_whose_manage_role_is_refused_changes_nothing_and_says_why(org):
    service, actions, sessions, config = org
    digest, _ = service.post(NOW, trigger="command", actor="U0ADMIN")
    value = fix_value(digest, "prod", "user.console_without_mfa")
    refuse_assume(sessions.hub, manage(PROD))
    broken = DigestActions(config, service.store, service.audit, IamFixes(sessions.hub),
                           lambda account_id: IamFixes(AccountSessions(
                               sessions.hub, config.named_accounts()).clients(account_id)))
    with pytest.raises(Exception, match="Could not remove the password.*prod"):
        broken.remove_password(value, "U0ADMIN", NOW)
    assert sessions.clients(PROD).iam().get_login_profile(UserName="alice")


def test_digest_print_for_one_account(org, tmp_path, monkeypatch):
    _, _, sessions, _ = org
    path = tmp_path / "gatehouse.yml"
    path.write_text(yaml.safe_dump(settings(tmp_path)))
    env = {"GATEHOUSE_CONFIG": str(path), "GATEHOUSE_DB": str(tmp_path / "p.db")}
    out = io.StringIO()
    assert print_digest(env, post=False, now=NOW, out=out, account="prod",
                        accounts=sessions, aws_clients=sessions.hub,
                        sleep=lambda _: None) == 0
    text = out.getvalue()
    assert text.startswith(f"IAM hygiene digest for account {PROD}")
    assert "alice" in text and STAGING not in text
    out = io.StringIO()
    assert print_digest(env, post=False, now=NOW, out=out, accounts=sessions,
                        aws_clients=sessions.hub, sleep=lambda _: None) == 0
    whole = out.getvalue()
    assert "=== prod (111111111111) ===" in whole and "dev (222222222222): NOT CHECKED" in whole
    assert "Across accounts" in whole
    assert print_digest(env, post=False, now=NOW, out=io.StringIO(), account="nope",
                        accounts=sessions, aws_clients=sessions.hub) == 2


def test_one_account_config_refuses_account_option(aws, tmp_path):
    config = settings(tmp_path)
    del config["accounts"]
    path = tmp_path / "gatehouse.yml"
    path.write_text(yaml.safe_dump(config))
    env = {"GATEHOUSE_CONFIG": str(path), "GATEHOUSE_DB": str(tmp_path / "p.db")}
    from config import ConfigError
    with pytest.raises(ConfigError, match="no accounts are configured"):
        print_digest(env, post=False, now=NOW, out=io.StringIO(), account="prod")


def test_summary_rows_split_over_messages_when_there_are_many_accounts():
    from datetime import date

    from domain.digest import Digest
    from domain.org_digest import AccountDigest
    from handlers import digest_org_blocks

    empty = Digest(now=NOW, day=date(2026, 11, 30), account_id=None, findings=())
    rows = tuple(AccountDigest(f"account-{n:03d}", f"{n:012d}", empty) for n in range(500))
    digest = OrgDigest(NOW, date(2026, 11, 30), rows, empty)
    messages = digest_org_blocks.summary_messages(digest)
    text = json.dumps(messages)
    assert all(len(m) <= digest_blocks.MAX_BLOCKS for m in messages)
    assert all(f"*account-{n:03d}*" in text for n in range(500))
    for message in messages:
        for block in message:
            Block.parse(block).validate_json()


def test_help_and_readme_name_the_account_option():
    import cli

    digest = cli._parser()._subparsers._group_actions[0].choices["digest"]
    assert "--account" in digest.format_help() and "--print" in digest.format_help()
    readme = open("README.md").read()
    assert "python bot.py digest --print --account NAME" in readme
    assert "digest.concurrency" in readme


def test_an_account_unreachable_for_a_day_keeps_its_findings_for_the_next(org, fake):
    service, _, sessions, config = org
    first, _ = service.post(NOW, trigger="daily", actor="gatehouse")
    hub = AwsClients.from_environment("us-east-1")
    refuse_assume(hub, manage(PROD))
    cut_off = AccountSessions(hub, config.named_accounts(), on_session=no_lookup_events)
    store = service.store.store
    publisher = SlackDigestPublisher(WebClient(base_url=fake.api_url, token="xoxb-test"), HYGIENE)
    down = digest_service(config, store, service.audit, hub, publisher=publisher,
                          sleep=lambda _: None, accounts=cut_off)
    second, _ = down.post(NOW.replace(hour=10), trigger="command", actor="U0ADMIN")
    assert second.row("prod").digest.nothing_read and second.row("prod").digest.unchecked
    third = service.org.build(NOW.replace(hour=11))
    prod = third.row("prod").digest
    assert prod.findings and prod.new_count == 0
    assert len(prod.findings) == len(first.row("prod").digest.findings)
