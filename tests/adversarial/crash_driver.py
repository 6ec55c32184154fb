"""A bot process to kill: its environment, a seeded driver over signed HTTP, what to check."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading

import requests
import yaml

from fake_services.slack_payloads import find_element
from fake_services.slack_signing import SlackClient
from tests.adversarial import invariants
from tests.e2e.conftest import ADMIN, LEAD, SECRET, base_config

SEED = 6
ROUNDS = 4
USERS = [f"U0CRASH{n:02d}" for n in range(10)]
KEY_HOLDERS = USERS[:4]  # mapped to IAM users, so they can rotate their keys
COMMANDS = ["request dev 1h crash {n}", "request sandbox 30m crash {n}",
            "request prod-readonly 2h crash {n}"]


def bot_environment(tmp_path, slack, federation, moto_server, port) -> dict[str, str]:
    config_path = tmp_path / "gatehouse.yml"
    config_path.write_text(yaml.safe_dump(base_config()))
    return {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url, "GATEHOUSE_CONFIG": str(config_path),
            "GATEHOUSE_DB": str(tmp_path / "gatehouse.db"), "LOG_LEVEL": "DEBUG",
            "GATEHOUSE_FEDERATION_URL": federation.url, "HOST": "127.0.0.1", "PORT": str(port),
            "AWS_ENDPOINT_URL": moto_server, "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


class Driver:
    """Plays a seeded mix of requests, approvals, revocations, cancels and extensions."""

    def __init__(self, client: SlackClient, slack, db_path: str, seed: int) -> None:
        self.client, self.slack, self.db_path = client, slack, db_path
        self.random = random.Random(seed)
        self.stop = threading.Event()
        self.sent = 0

    def run(self) -> None:
        conn = invariants.connect(self.db_path)
        try:
            while not self.stop.is_set():
                self.step(conn)
                self.sent += 1
        except (requests.ConnectionError, requests.Timeout):
            pass  # the bot was killed under us
        finally:
            conn.close()

    def step(self, conn) -> None:
        pick = self.random.random()
        rows = invariants.rows(conn, "SELECT id, requester, status, kind, channel, message_ts"
                                     " FROM requests ORDER BY id DESC LIMIT 30")
        pending = [r for r in rows if r["status"] == "pending" and r["message_ts"]]
        active = [r for r in rows if r["status"] == "active" and r["kind"] == "access"]
        if pick < 0.08:
            self.client.command(self.random.choice(KEY_HOLDERS), "rotate-key")
        elif pick < 0.35 or not (pending or active):
            user = self.random.choice(USERS)
            text = self.random.choice(COMMANDS).format(n=self.sent)
            self.client.command(user, text)
        elif pick < 0.7 and pending:
            self.click_approve(self.random.choice(pending))
        elif pick < 0.85 and active:
            request = self.random.choice(active)
            self.client.command(request["requester"], f"revoke R-{request['id']}")
        elif pick < 0.93 and active:
            request = self.random.choice(active)
            self.client.command(request["requester"], f"extend R-{request['id']} 30m more")
        elif pending:
            request = self.random.choice(pending)
            self.client.command(request["requester"], f"cancel R-{request['id']}")

    def click_approve(self, request: dict) -> None:
        shown = [m for m in self.slack.messages(request["channel"])
                 if m.ts == request["message_ts"]]
        if shown and has_button(shown[0].blocks, "approve"):  # still pending as shown now
            clicker = self.random.choice([LEAD, ADMIN])
            self.client.click(clicker, "approve", str(request["id"]), message=shown[0])


def has_button(blocks: list, action_id: str) -> bool:
    """Whether the message shows this button (it may have been decided since the row was read)."""
    try:
        find_element(blocks, action_id)
    except LookupError:
        return False
    return True


def start_process(env: dict[str, str], log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "bot.py"], env=env, stdout=subprocess.DEVNULL,
                            stderr=log)


def time_independent_problems(db_path: str) -> list[str]:
    """What must hold right after any crash, before any time passes."""
    conn = invariants.connect(db_path)
    try:
        counts = invariants.rows(conn, "SELECT request_id, COUNT(*) AS n FROM grants"
                                       " GROUP BY request_id HAVING n > 1")
        return (invariants.illegal_moves(conn) + invariants.unaudited_moves(conn)
                + invariants.live_grant_problems(conn) + invariants.stuck_approvals(conn)
                + invariants.overlong_grants(conn)
                + [f"R-{c['request_id']} has {c['n']} grants" for c in counts])
    finally:
        conn.close()


def prepare_database(env: dict[str, str]) -> None:
    """Create the schema with the status trace the invariants read, before the first start."""
    from storage.database import open_store

    store = open_store(env["GATEHOUSE_DB"])
    for statement in invariants.STATUS_TRACE:
        store.execute(statement)
    store.close()


def create_key_holders(iam) -> None:
    for user in KEY_HOLDERS:
        iam.create_user(UserName=user.lower(), Tags=[{"Key": "slack-user-id", "Value": user}])
        iam.create_access_key(UserName=user.lower())


def rotation_problems(iam, db_path: str) -> list[str]:
    """Each rotation ended with its holder on exactly one key, and that key active; a key a
    killed rotation never recorded is left (and reported), never guessed at and deleted."""
    conn = invariants.connect(db_path)
    try:
        rotations = invariants.rows(conn, "SELECT id, iam_user, state FROM key_rotations")
        reported = {key for row in invariants.rows(
            conn, "SELECT details FROM audit WHERE action='key.unrecorded_key_left'")
            for key in json.loads(row["details"])["unrecorded_keys"]}
    finally:
        conn.close()
    problems = [f"rotation {r['id']} is still {r['state']}" for r in rotations
                if r["state"] not in ("completed", "failed")]
    for user in {r["iam_user"] for r in rotations}:
        keys = [k for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
                if k["AccessKeyId"] not in reported]
        if [k["Status"] for k in keys] != ["Active"]:
            problems.append(f"{user} holds {[(k['AccessKeyId'], k['Status']) for k in keys]}")
    return problems
