"""The config file: defaults, and errors that name the key."""

import pytest

from config import ConfigError, environment_problems, load_config, load_environment, parse_config

MINIMAL = {"admins": ["U0ADMIN"], "approvals_channel": "C0APPROVALS",
           "roles": {"prod": {"arn": "arn:aws:iam::123456789012:role/Prod", "max_duration": "2h"}}}


def problems(data):
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    return caught.value.problems


def test_minimal_config_gets_the_contract_defaults():
    config = parse_config(MINIMAL)
    role = config.roles["prod"]
    assert role.max_duration == 7200 and role.approvals_required == 1
    assert not role.allow_self_approval and not role.auto_approve
    assert config.keys.grace_period == 86400 and config.keys.delete_after == 7 * 86400
    assert config.requests.pending_expiry == 4 * 3600
    assert config.requests.remind_after == 1800 and config.requests.warn_before_expiry == 900
    assert config.identity.iam_user_tag == "slack-user-id"
    assert not config.digest.enabled and config.timezone == "UTC"


def test_the_example_file_is_valid():
    config = load_config("gatehouse.example.yml")
    assert config.roles["prod-readonly"].conditions.hours.start.hour == 8


@pytest.mark.parametrize("change,key", [
    ({"bogus": 1}, "bogus: unknown key"),
    ({"admins": []}, "admins:"),
    ({"approvals_channel": "general"}, "approvals_channel:"),
    ({"timezone": "Mars/Base"}, "timezone:"),
    ({"roles": {}}, "roles:"),
    ({"roles": {"p": {"arn": "arn:aws:s3:::bucket", "max_duration": "1h"}}}, "roles.p.arn:"),
    ({"roles": {"p": {"arn": MINIMAL["roles"]["prod"]["arn"], "max_duration": "13h"}}},
     "roles.p.max_duration:"),
    ({"roles": {"p": {"arn": MINIMAL["roles"]["prod"]["arn"], "max_duration": "1x"}}},
     "roles.p.max_duration:"),
    ({"roles": {"p": {"arn": MINIMAL["roles"]["prod"]["arn"]}}}, "roles.p.max_duration: required"),
    ({"roles": {"p": {"arn": MINIMAL["roles"]["prod"]["arn"], "max_duration": "1h",
                      "approvals_required": "two"}}}, "roles.p.approvals_required:"),
    ({"roles": {"p": {"arn": MINIMAL["roles"]["prod"]["arn"], "max_duration": "1h",
                      "conditions": {"hours": "9-5"}}}}, "roles.p.conditions.hours:"),
    ({"roles": {"p": {"arn": MINIMAL["roles"]["prod"]["arn"], "max_duration": "1h",
                      "conditions": {"hours": "08:00-08:00"}}}}, "roles.p.conditions.hours:"),
    ({"keys": {"grace_period": "soon"}}, "keys.grace_period:"),
    ({"digest": {"at": "25:00", "channel": "C0H"}}, "digest.at:"),
])
def test_errors_name_the_key(change, key):
    found = problems({**MINIMAL, **change})
    assert any(p.startswith(key) for p in found), found


def test_an_overnight_hours_window_is_accepted():
    role = {"arn": MINIMAL["roles"]["prod"]["arn"], "max_duration": "1h",
            "conditions": {"hours": "20:00-08:00"}}
    hours = parse_config({**MINIMAL, "roles": {"p": role}}).roles["p"].conditions.hours
    assert (hours.start.hour, hours.end.hour) == (20, 8)


def test_missing_required_keys_are_each_named():
    found = problems({})
    assert {p.split(":")[0] for p in found} >= {"admins", "approvals_channel", "roles"}


def test_environment_defaults_and_problems():
    env = load_environment({})
    assert env.slack_api_url == "https://slack.com/api/" and env.port == 3000
    assert env.db_path == "gatehouse.db" and env.config_path == "gatehouse.yml"
    assert env.federation_url == "https://signin.aws.amazon.com/federation"
    assert env.aws_region == "us-east-1"
    found = environment_problems(env)
    assert any(p.startswith("SLACK_BOT_TOKEN") for p in found)
    assert any(p.startswith("SLACK_SIGNING_SECRET") for p in found)
    socket = load_environment({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert environment_problems(socket) == []
    with pytest.raises(ConfigError, match="PORT"):
        load_environment({"PORT": "http"})
