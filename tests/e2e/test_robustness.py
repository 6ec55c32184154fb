"""Races, restarts, forged requests, secrets and health: what a security review asks about."""

import io
import json
import logging
import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path

import requests

import cli
from logs import QUIET_LOGGERS, setup_logging
from tests.e2e.conftest import ADMIN, APPROVALS, DEV, DEV2, LEAD, Clock, start_bot, stop_bot


def count_calls(gh, operation):
    calls = []
    sts = gh.runtime.aws_clients.sts()
    sts.meta.events.register(f"before-call.sts.{operation}", lambda **kw: calls.append(1))
    return calls


def credential_dms(gh, user):
    return [m for m in gh.dms(user) if "AWS_SESSION_TOKEN" in str(m.blocks)]


def test_ten_concurrent_approvals_grant_once(gatehouse):
    gh = gatehouse
    assumed = count_calls(gh, "AssumeRole")
    number = gh.file(DEV, "request dev 1h deploy")
    message = gh.request_message(number)
    clickers = [LEAD, ADMIN] * 5
    barrier = threading.Barrier(len(clickers))

    def click(user):
        barrier.wait()
        assert gh.client.click(user, "approve", str(number), message=message).status_code == 200
    threads = [threading.Thread(target=click, args=(u,)) for u in clickers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    gh.idle()
    assert gh.status(number) == "active"
    assert len(assumed) == 1
    assert len(credential_dms(gh, DEV)) == 1
    assert gh.audit_actions().count("grant.activated") == 1


def test_unsigned_forged_and_stale_requests_get_401(gatehouse):
    gh = gatehouse
    for client in (gh.client.unsigned(), gh.client.with_signature("v0=" + "0" * 64),
                   gh.client.with_clock(lambda: time.time() - 600)):
        response = client.command(DEV, "request dev 1h sneaky")
        assert response.status_code == 401
    assert gh.runtime.requests.requests_where("1=1") == []
    assert gh.slack.calls("chat.postMessage") == []


def test_healthz(gatehouse):
    gh = gatehouse
    assert requests.get(f"{gh.url}/healthz", timeout=5).status_code == 503
    gh.runtime.scheduler.start(paused=True)
    response = requests.get(f"{gh.url}/healthz", timeout=5)
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_restart_finishes_overdue_work_exactly_once(tmp_path, aws, slack, federation, config):
    from tests.e2e.conftest import create_roles
    create_roles(aws.client("iam"), config)
    clock = Clock()
    first = start_bot(tmp_path, aws, slack, federation, config, clock)
    waiting = first.file(DEV, "request dev 1h waits")
    active = first.file(DEV2, "request dev 30m runs")
    first.client.click(LEAD, "approve", str(active), message=first.request_message(active))
    first.idle()
    revoked = first.file(DEV, "request prod-readonly 1h revoke me")
    first.client.click(LEAD, "approve", str(revoked),
                       message=first.request_message(revoked, "C0PRODAPPROVALS"))
    first.idle()
    first.command(DEV, f"revoke R-{revoked}")
    first.idle()
    first.server.close()  # an abrupt stop: no shutdown of the scheduler or the database

    clock.advance(hours=13)
    second = start_bot(tmp_path, aws, slack, federation, config, clock)
    second.gh.sweep()
    second.gh.sweep()
    second.idle()
    message = second.request_message(waiting)
    assert [t for t in second.thread_texts(message) if "still waiting" in t].__len__() == 1
    assert second.status(waiting) == "expired" and second.status(active) == "expired"
    assert "AWS_SESSION_TOKEN" not in str(second.dms(DEV2)[0].blocks)
    policies = second.iam.list_role_policies(RoleName="ProdReadOnly")["PolicyNames"]
    assert not [p for p in policies if p.startswith("gatehouse-revoke-")]
    actions = second.audit_actions()
    assert actions.count("grant.expired") == 1 and actions.count("request.expired") == 1
    assert actions.count("grant.deny_removed") == 1
    stop_bot(second)


def test_restart_between_approval_and_grant(tmp_path, aws, slack, federation, config):
    from tests.e2e.conftest import create_roles
    create_roles(aws.client("iam"), config)
    clock = Clock()
    first = start_bot(tmp_path, aws, slack, federation, config, clock)
    number = first.file(DEV, "request dev 1h x")
    first.idle()
    runtime = first.runtime
    from domain.requests import Status
    with runtime.store.transaction():  # what approve() stores before it grants
        runtime.requests.move(number, Status.APPROVED, actor=LEAD, now=clock(),
                              expect=[Status.PENDING])
        runtime.jobs.schedule("activate", clock(), key=f"request:{number}", request_id=number)
    first.server.close()
    second = start_bot(tmp_path, aws, slack, federation, config, clock)
    second.gh.sweep()
    second.gh.sweep()
    assert second.status(number) == "active"
    assert len(credential_dms(second, DEV)) == 1
    stop_bot(second)


def test_undelivered_credentials_are_closed_and_denied(gatehouse):
    gh = gatehouse
    number = gh.file(DEV, "request prod-readonly 1h x")
    message = gh.request_message(number, "C0PRODAPPROVALS")
    # the approval message is refreshed first, then the DM is edited to hold the credentials
    gh.slack.fail_next("chat.update", error="msg_too_long", times=2)
    gh.client.click(LEAD, "approve", str(number), message=message)
    gh.idle()
    assert gh.status(number) == "failed"
    policies = gh.iam.list_role_policies(RoleName="ProdReadOnly")["PolicyNames"]
    assert [p for p in policies if p.startswith("gatehouse-revoke-")]
    why = "Slack refused the DM with the credentials (msg_too_long); they were withdrawn"
    assert any(why in text for text in gh.thread_texts(message))
    assert any(why in (m.text or "") for m in gh.dms(DEV))


def test_no_secret_in_database_or_logs(gatehouse):
    gh = gatehouse
    lines = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level,
             {name: logging.getLogger(name).level for name in QUIET_LOGGERS})
    setup_logging("DEBUG", stream=lines)
    try:
        number = gh.file(DEV, "request dev 1h x")
        gh.client.click(LEAD, "approve", str(number), message=gh.request_message(number))
        gh.idle()
        dm = credential_dms(gh, DEV)[0]
        text = json.dumps(dm.blocks)
        secrets = [text.split("AWS_SECRET_ACCESS_KEY=")[1].split("\\n")[0],
                   text.split("AWS_SESSION_TOKEN=")[1].split("`")[0].split("\\n")[0],
                   text.split("SigninToken=")[1].split('"')[0]]
        gh.command(DEV, f"revoke R-{number}")
        gh.idle()
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)
    db = Path(gh.env["GATEHOUSE_DB"])
    stored = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    logged = lines.getvalue()
    assert '"message": "grant.activated"' in logged and '"request": "R-1"' in logged
    for secret in secrets:
        assert len(secret) > 10
        assert secret.encode() not in stored
        assert secret not in logged
    for channel in (APPROVALS, "C0GENERAL"):
        for message in gh.slack.messages(channel, replies=True):
            assert not any(s in json.dumps(message.blocks) + (message.text or "")
                           for s in secrets)


def test_audit_verify_export_and_tamper(gatehouse):
    gh = gatehouse
    number = gh.file(DEV, "request dev 1h x")
    gh.client.click(LEAD, "approve", str(number), message=gh.request_message(number))
    gh.idle()
    out = io.StringIO()
    assert cli.dispatch(["audit", "verify"], gh.env, out=out) == 0
    count = int(out.getvalue().split()[2])
    assert out.getvalue().startswith("audit: ok,") and count >= 3
    out = io.StringIO()
    assert cli.dispatch(["audit", "export", "--format", "jsonl"], gh.env, out=out) == 0
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == count
    assert {"id", "at", "actor", "action", "request_id", "details", "hash"} <= set(rows[0])
    assert rows[0]["action"] == "request.created" and rows[0]["at"].endswith("Z")
    out = io.StringIO()
    cli.dispatch(["audit", "export", "--format", "csv", "--since", "2030-01-01"], gh.env, out=out)
    assert out.getvalue().splitlines()[0].startswith("id,at,actor,action")
    assert len(out.getvalue().splitlines()) == 1

    raw = sqlite3.connect(gh.env["GATEHOUSE_DB"])
    raw.execute("DROP TRIGGER audit_no_update")
    raw.execute("UPDATE audit SET actor='U0MALLORY' WHERE id=2")
    raw.commit()
    raw.close()
    out = io.StringIO()
    assert cli.dispatch(["audit", "verify"], gh.env, out=out) == 1
    assert "entry 2" in out.getvalue()


def test_audit_is_append_only(gatehouse):
    gh = gatehouse
    gh.file(DEV, "request dev 1h x")
    raw = sqlite3.connect(gh.env["GATEHOUSE_DB"])
    for statement in ("UPDATE audit SET actor='x'", "DELETE FROM audit"):
        try:
            raw.execute(statement)
            raise AssertionError(f"{statement} was allowed")
        except sqlite3.DatabaseError as exc:
            assert "append-only" in str(exc)
    raw.close()


def test_admin_audit_command(gatehouse):
    gh = gatehouse
    gh.file(DEV, "request dev 1h <!everyone> please")
    gh.command(ADMIN, f"audit <@{DEV}> 7")
    text = gh.answer(ADMIN, "Audit, last 7 days")
    assert "request.created" in text and "<!everyone>" not in text
    gh.command(ADMIN, "audit nosuchrole")
    gh.answer(ADMIN, "no role called")


def test_stale_grant_end_is_never_passed(gatehouse):
    gh = gatehouse
    number = gh.file(DEV, "request dev 1h x")
    gh.client.click(LEAD, "approve", str(number), message=gh.request_message(number))
    gh.idle()
    grant = gh.runtime.requests.grant(gh.runtime.requests.get(number).grant_id)
    assert grant.ends_at - grant.started_at == timedelta(hours=1)


def test_a_failed_scrub_is_retried_by_the_sweep(gatehouse):
    gh = gatehouse
    number = gh.file(DEV, "request dev 30m x")
    gh.client.click(LEAD, "approve", str(number), message=gh.request_message(number))
    gh.idle()
    dm = credential_dms(gh, DEV)[0]
    gh.slack.fail_next("chat.update", error="internal_error", times=5)
    gh.clock.advance(minutes=30)
    gh.gh.sweep()
    assert gh.status(number) == "expired"
    assert "AWS_SESSION_TOKEN" in str(gh.current(dm).blocks)  # Slack refused the edit
    for _ in range(6):
        gh.clock.advance(minutes=31)
        gh.gh.sweep()
    assert "AWS_SESSION_TOKEN" not in str(gh.current(dm).blocks)
