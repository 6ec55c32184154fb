"""After the faults stop and time passes: nothing lost, nothing left behind, nothing leaked."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from tests.adversarial import invariants

SECRET_MARKERS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "SigninToken",
                  "aws_secret_access_key")


def settle(gh, rounds: int = 3) -> None:
    """Let every stored job fall due and run: 13 hours pass, three times."""
    gh.idle()
    for _ in range(rounds):
        gh.clock.advance(hours=13)
        gh.gh.sweep()
        gh.idle()


def message_text(message) -> str:
    return (message.text or "") + json.dumps(message.blocks or [])


def secrets_in_dms(slack, dead_keys: set[str] = frozenset()) -> list[str]:
    """DMs whose current version still shows credentials (those of `dead_keys` aside)."""
    return [f"{m.channel} {m.ts}: {m.text[:80]}" for channel in slack.workspace.channels()
            if channel.startswith("D") for m in slack.messages(channel, replies=True)
            if any(marker in message_text(m) for marker in SECRET_MARKERS)
            and not any(key in message_text(m) for key in dead_keys)]


def deleted_keys_shown(slack, iam) -> set[str]:
    """Access key ids shown with their secret in a DM but no longer in IAM."""
    existing = {key["AccessKeyId"] for user in iam.list_users()["Users"]
                for key in iam.list_access_keys(UserName=user["UserName"])["AccessKeyMetadata"]}
    shown = {key for channel in slack.workspace.channels() if channel.startswith("D")
             for m in slack.messages(channel) if "aws_secret_access_key" in message_text(m)
             for key in re.findall(r"AKIA[A-Z0-9]{12,}", message_text(m))}
    return shown - existing


def revoke_denies(iam, role_names) -> list[str]:
    return [f"{role}/{name}" for role in role_names
            for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
            if name.startswith("gatehouse-revoke-")]


def leftovers(gh, role_names, dead_keys: set[str] = frozenset()) -> list[str]:
    """Everything that must be gone once the bot has settled."""
    conn = invariants.connect(gh.env["GATEHOUSE_DB"])
    try:
        found = invariants.all_problems(conn) + invariants.unsettled_requests(conn)
        found += [f"grant {g['id']} still live" for g in invariants.rows(
            conn, "SELECT id FROM grants WHERE ended_at IS NULL")]
        found += [f"job {j['action']} {j['key']} never done" for j in invariants.rows(
            conn, "SELECT action, key FROM jobs WHERE done_at IS NULL")]
    finally:
        conn.close()
    found += [f"credentials left in {where}" for where in secrets_in_dms(gh.slack, dead_keys)]
    found += [f"deny left on {where}" for where in revoke_denies(gh.iam, role_names)]
    return found


def role_names(config: dict) -> list[str]:
    return [role["arn"].rsplit("/", 1)[1] for role in config["roles"].values()]


def assert_nothing_left(gh, config: dict) -> None:
    settle(gh)
    assert leftovers(gh, role_names(config)) == []
    assert gh.runtime.audit.verify()[1] is None


def minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


def secrets_in(text: str) -> set[str]:
    """The secret values shown after each credentials marker in a message's text or blocks."""
    found = set()
    for marker in ("AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=", "SigninToken=",
                   "aws_secret_access_key = "):
        for part in text.split(marker)[1:]:
            value = part.split("\\n")[0].split("`")[0].split('"')[0].split("'")[0]
            found |= {value.split("&")[0]} if len(value) > 10 else set()
    return found


def handed_out(slack) -> set[str]:
    """Every secret the bot ever put in a DM, from each version of each DM."""
    found: set[str] = set()
    for channel in slack.workspace.channels():
        if channel.startswith("D"):
            for message in slack.messages(channel, replies=True):
                for version in message.history:
                    found |= secrets_in(version.text + json.dumps(version.blocks or []))
    return found


def outside_dms(slack) -> str:
    """Everything Slack shows outside DMs: channel messages (each version), ephemerals, views."""
    parts = []
    for channel in slack.workspace.channels():
        if not channel.startswith("D"):
            for message in slack.messages(channel, replies=True):
                parts += [v.text + json.dumps(v.blocks or []) for v in message.history]
    parts += [(e.text or "") + json.dumps(e.blocks or []) for e in slack.ephemerals()]
    parts += [json.dumps(view.definition) for view in slack.views()]
    homes = [slack.home(user.id) for user in slack.workspace.users()]
    parts += [json.dumps(home.definition) for home in homes if home is not None]
    return "\n".join(parts)
