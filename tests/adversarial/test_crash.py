"""kill -9 at random moments: a real `python bot.py`, a real SQLite file, restarts, then checks."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from fake_services.slack_signing import SlackClient
from tests.adversarial import invariants
from tests.adversarial.checks import (
    deleted_keys_shown,
    handed_out,
    leftovers,
    message_text,
    role_names,
)
from tests.adversarial.crash_driver import (
    ROUNDS,
    SEED,
    USERS,
    Driver,
    bot_environment,
    create_key_holders,
    prepare_database,
    rotation_problems,
    start_process,
    time_independent_problems,
)
from tests.adversarial.fakes import Crash
from tests.e2e.conftest import (
    DEV,
    LEAD,
    SECRET,
    Clock,
    base_config,
    create_roles,
    start_bot,
    stop_bot,
)
from tests.e2e.test_process import free_port, wait_healthy


def test_kill_9_at_random_moments_loses_nothing(tmp_path, aws, slack, federation, moto_server):
    config = base_config()
    create_roles(aws.client("iam"), config)
    create_key_holders(aws.client("iam"))
    for user in USERS:
        slack.add_user(user, user.lower(), email=f"{user.lower()}@example.com")
    port = free_port()
    env = bot_environment(tmp_path, slack, federation, moto_server, port)
    prepare_database(env)
    url, rng = f"http://127.0.0.1:{port}", random.Random(SEED)
    client = SlackClient(url, SECRET, fake=slack, timeout=5)
    deadline = time.monotonic() + 60
    with open(tmp_path / "bot.log", "ab") as log:
        for round_ in range(ROUNDS):
            process = start_process(env, log)
            try:
                wait_healthy(url, process)
                driver = Driver(client, slack, env["GATEHOUSE_DB"], SEED * 100 + round_)
                thread = threading.Thread(target=driver.run, daemon=True)
                thread.start()
                time.sleep(rng.uniform(0.3, 1.5))
            finally:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
            driver.stop.set()
            thread.join(timeout=10)
            assert time_independent_problems(env["GATEHOUSE_DB"]) == [], f"after kill {round_}"
            assert time.monotonic() < deadline, "the crash rounds took too long"
    assert count_grants(env["GATEHOUSE_DB"]) > 0, "nothing was granted: the mix is too thin"

    clock = Clock(datetime.now(timezone.utc) + timedelta(hours=13))
    final = start_bot(tmp_path, aws, slack, federation, config, clock)
    try:
        for step in (timedelta(hours=13), timedelta(hours=13), timedelta(days=8), timedelta(0)):
            final.gh.sweep()
            final.idle()
            clock.advance(seconds=step.total_seconds())
        # The key DM exists before the key: a rotation killed anywhere leaves no secret of a
        # deleted key shown.
        assert deleted_keys_shown(slack, final.iam) == set()
        assert leftovers(final, role_names(config)) == []
        assert rotation_problems(final.iam, env["GATEHOUSE_DB"]) == []
        assert_every_ended_grant_audited(env["GATEHOUSE_DB"])
    finally:
        stop_bot(final)
    verify = subprocess.run([sys.executable, "bot.py", "audit", "verify"], env=env, text=True,
                            capture_output=True, timeout=60)
    assert verify.returncode == 0 and verify.stdout.startswith("audit: ok"), verify.stdout
    assert_no_secret_kept(tmp_path, slack)


def count_grants(db_path: str) -> int:
    conn = invariants.connect(db_path)
    try:
        return conn.execute("SELECT COUNT(*) FROM grants").fetchone()[0]
    finally:
        conn.close()


def assert_every_ended_grant_audited(db_path: str) -> None:
    conn = invariants.connect(db_path)
    try:
        assert invariants.ended_grants_unaudited(conn) == []
        assert invariants.illegal_moves(conn) == [] and invariants.unaudited_moves(conn) == []
    finally:
        conn.close()


def assert_no_secret_kept(tmp_path, slack) -> None:
    secrets = handed_out(slack)
    assert secrets, "no credentials were handed out"
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("gatehouse.db*"))
    logged = (tmp_path / "bot.log").read_bytes()
    assert [s for s in secrets if s.encode() in stored or s.encode() in logged] == []


# --- the crash windows the random kills found, each replayed on purpose -----------------------

def crash_when(target, name: str, when=lambda *a, **k: True):
    """Make `target.name` kill the process (a Crash no `except Exception` stops) when `when`."""
    original = getattr(target, name)

    def dying(*args, **kwargs):
        if when(*args, **kwargs):
            raise Crash(name)
        return original(*args, **kwargs)
    setattr(target, name, dying)


def test_a_crash_while_filing_leaves_no_request_without_its_expiry(gatehouse):
    gh = gatehouse
    crash_when(gh.runtime.jobs, "schedule")
    with pytest.raises(Crash):
        gh.gh.access.submit(DEV, "dev", 3600, "crash while filing", gh.clock())
    assert gh.runtime.requests.requests_where("1=1") == []
    assert gh.runtime.audit.verify() == (0, None)


def test_a_crash_after_the_credentials_dm_leaves_it_scrubbable(tmp_path, aws, slack, federation,
                                                               config):
    create_roles(aws.client("iam"), config)
    clock = Clock()
    first = start_bot(tmp_path, aws, slack, federation, config, clock)
    number = first.file(DEV, "request dev 1h crash after the dm")
    crash_when(first.runtime.requests, "update_grant",
               lambda grant_id, **fields: "delivered" in fields)
    with pytest.raises(Crash):
        first.gh.access.approve(number, LEAD, clock())
    first.server.close()
    assert [m for m in first.dms(DEV) if "AWS_SESSION_TOKEN" in message_text(m)]
    clock.advance(minutes=6)
    second = start_bot(tmp_path, aws, slack, federation, config, clock)
    try:
        second.gh.sweep()
        second.idle()
        assert second.status(number) == "failed"
        assert [m for m in second.dms(DEV) if "AWS_SESSION_TOKEN" in message_text(m)] == []
        assert second.iam.list_role_policies(RoleName="Dev")["PolicyNames"], "no deny attached"
    finally:
        stop_bot(second)


def test_an_extension_held_up_by_a_crash_does_not_revive_an_ended_grant(tmp_path, aws, slack,
                                                                        federation, config):
    create_roles(aws.client("iam"), config)
    clock = Clock()
    first = start_bot(tmp_path, aws, slack, federation, config, clock)
    number = first.file(DEV, "request dev 1h long job")
    first.client.click(LEAD, "approve", str(number), message=first.request_message(number))
    first.idle()
    first.command(DEV, f"extend R-{number} 30m more")
    extension = number + 1
    first.answer(DEV, "more on R-")
    crash_when(first.gh.grants, "activate")
    with pytest.raises(Crash):
        first.gh.access.approve(extension, LEAD, clock())
    first.server.close()
    assert first.status(extension) == "approved"
    clock.advance(hours=2)
    second = start_bot(tmp_path, aws, slack, federation, config, clock)
    try:
        second.gh.sweep()
        second.idle()
        assert second.status(extension) == "failed" and second.status(number) == "expired"
        grant = second.runtime.requests.grant(second.runtime.requests.get(number).grant_id)
        assert grant.ends_at - grant.started_at == timedelta(hours=1) and not grant.is_live
    finally:
        stop_bot(second)


def test_a_job_scheduled_anew_while_a_sweep_holds_it_is_not_lost(tmp_path):
    from storage.database import open_store
    from storage.jobs import JobQueue

    store = open_store(tmp_path / "jobs.db")
    jobs, now = JobQueue(store), datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
    later = now + timedelta(hours=1)
    jobs.schedule("expire_grant", now, key="grant:1", grant_id=1)
    [listed] = jobs.due(now)
    jobs.schedule("expire_grant", later, key="grant:1", grant_id=1)  # an extension moved it
    assert not jobs.claim(listed, now), "a job moved to later was run now"
    jobs.schedule("check_delivery", now, key="grant:1", grant_id=1)
    [listed] = jobs.due(now)
    assert jobs.claim(listed, now)
    jobs.schedule("check_delivery", later, key="grant:1", grant_id=1)  # moved while it ran
    jobs.finish(listed, now)
    assert sorted((j.action, j.due_at) for j in jobs.pending()) == [
        ("check_delivery", later), ("expire_grant", later)]
    store.close()


def revoke_meanwhile(gh, target, name: str, number: int):
    """While `target.name` runs, the holder revokes R-number (another thread would)."""
    original = getattr(target, name)

    def racing(*args, **kwargs):
        setattr(target, name, original)
        gh.gh.access.revoke(number, DEV, gh.clock())
        return original(*args, **kwargs)
    setattr(target, name, racing)


def test_a_revoke_while_an_extension_is_at_aws_wins(gatehouse):
    gh = gatehouse
    number = gh.file(DEV, "request dev 1h race")
    gh.client.click(LEAD, "approve", str(number), message=gh.request_message(number))
    gh.idle()
    extension = gh.gh.access.extend(DEV, number, 1800, "more", gh.clock()).id
    revoke_meanwhile(gh, gh.runtime.aws_grants, "assume", number)
    gh.gh.access.approve(extension, LEAD, gh.clock())
    gh.idle()
    assert gh.status(number) == "revoked" and gh.status(extension) == "failed"
    assert [m for m in gh.dms(DEV) if "AWS_SESSION_TOKEN" in message_text(m)] == []


def test_a_revoke_while_the_credentials_are_on_their_way_still_scrubs(gatehouse):
    gh = gatehouse
    number = gh.file(DEV, "request dev 1h race")
    revoke_meanwhile(gh, gh.runtime.notifier, "dm_credentials", number)
    gh.gh.access.approve(number, LEAD, gh.clock())
    gh.idle()
    assert gh.status(number) == "revoked"
    assert [m for m in gh.dms(DEV) if "AWS_SESSION_TOKEN" in message_text(m)] == []


def test_a_crash_after_the_key_dm_leaves_no_secret_in_slack(tmp_path, aws, slack, federation,
                                                           config):
    create_roles(aws.client("iam"), config)
    aws.client("iam").create_user(UserName="dev", Tags=[{"Key": "slack-user-id", "Value": DEV}])
    aws.client("iam").create_access_key(UserName="dev")
    clock = Clock()
    first = start_bot(tmp_path, aws, slack, federation, config, clock)
    rotator = first.runtime.keys.issuer
    crash_when(rotator, "_mark_delivered")
    with pytest.raises(Crash):
        first.runtime.keys.request(DEV, DEV, clock())
    first.server.close()
    assert [m for m in first.dms(DEV) if "aws_secret_access_key" in message_text(m)]
    clock.advance(hours=2)
    second = start_bot(tmp_path, aws, slack, federation, config, clock)
    try:
        second.gh.sweep()
        second.idle()
        assert [m for m in second.dms(DEV) if "aws_secret_access_key" in message_text(m)] == []
    finally:
        stop_bot(second)
