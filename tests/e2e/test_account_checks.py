"""Start-up and `check-config --online` against moto: own account, target roles, own policies."""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml

import cli
from aws.clients import AwsClients
from aws.grants import AwsGrants
from tests.e2e.conftest import ACCOUNT, SECRET, base_config, create_roles

FOREIGN = "arn:aws:iam::222222222222:role/CrossTarget"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/GatehouseTargetBoundary"
KEYS_EVERYWHERE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*"}]}
KEYS_SCOPED = json.loads((Path(__file__).parents[2] / "deploy/iam-policy-keys.json").read_text())


def environment(tmp_path: Path, slack, federation, config: dict, **aws: str) -> dict[str, str]:
    path = tmp_path / "gatehouse.yml"
    path.write_text(yaml.safe_dump(config))
    return {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url, "GATEHOUSE_CONFIG": str(path),
            "GATEHOUSE_DB": str(tmp_path / "gatehouse.db"), "GATEHOUSE_FEDERATION_URL":
            federation.url, "HOST": "127.0.0.1", "PORT": "0",
            "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"], "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": aws.get("key", "testing"),
            "AWS_SECRET_ACCESS_KEY": aws.get("secret", "testing")}


def with_foreign_role() -> dict:
    config = base_config()
    config["roles"]["cross"] = {"arn": FOREIGN, "max_duration": "1h"}
    return config


def bounded_roles(iam, config: dict) -> None:
    create_roles(iam, config)
    iam.create_policy(PolicyName="GatehouseTargetBoundary",
                      PolicyDocument=json.dumps(KEYS_SCOPED))
    for role in config["roles"].values():
        iam.put_role_permissions_boundary(RoleName=role["arn"].rsplit("/", 1)[1],
                                          PermissionsBoundary=BOUNDARY)


def own_user(iam, document: dict) -> dict[str, str]:
    """An IAM user for Gatehouse itself, holding `document`; its keys as environment values."""
    iam.create_user(UserName="gatehouse")
    iam.put_user_policy(UserName="gatehouse", PolicyName="keys",
                        PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName="gatehouse")["AccessKey"]
    return {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


def check(env: dict[str, str], capsys, monkeypatch) -> tuple[int, list[str]]:
    """Run `check-config --online`; boto3 reads its credentials from the process environment."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        if name in env:
            monkeypatch.setenv(name, env[name])
    code = cli.dispatch(["check-config", "--online"], env)
    return code, capsys.readouterr().err.splitlines()


def test_the_bot_refuses_to_start_with_a_role_of_another_account(
        tmp_path, aws, slack, federation, capsys):
    config = with_foreign_role()
    create_roles(aws.client("iam"), base_config())
    env = environment(tmp_path, slack, federation, config)
    assert cli.dispatch(["run"], env) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [line for line in lines if line.startswith("roles.cross.arn: ")]
    assert len(lines) == 1 and "222222222222" in lines[0] and ACCOUNT in lines[0]
    assert not (tmp_path / "gatehouse.db").exists()  # refused before anything was built


def test_check_config_online_names_the_foreign_role(tmp_path, aws, slack, federation, capsys,
        monkeypatch):
    env = environment(tmp_path, slack, federation, with_foreign_role())
    bounded_roles(aws.client("iam"), base_config())
    code, lines = check(env, capsys, monkeypatch)
    assert code == 1
    assert any(line.startswith("roles.cross.arn: ") and "222222222222" in line
               for line in lines)


def test_check_config_online_checks_each_target_role(tmp_path, aws, slack, federation, capsys,
        monkeypatch):
    config = base_config()
    create_roles(aws.client("iam"), config)
    env = environment(tmp_path, slack, federation, config)
    code, lines = check(env, capsys, monkeypatch)
    assert code == 1
    for name in config["roles"]:
        assert any(line.startswith(f"roles.{name}.arn: ") and "permissions boundary" in line
                   for line in lines), name


def test_a_target_role_that_is_gatehouse_itself_is_named(tmp_path, aws, slack, federation,
                                                          capsys, monkeypatch):
    iam, config = aws.client("iam"), base_config()
    bounded_roles(iam, config)
    session = aws.client("sts").assume_role(
        RoleArn=config["roles"]["dev"]["arn"], RoleSessionName="gatehouse")["Credentials"]
    env = environment(tmp_path, slack, federation, config, key=session["AccessKeyId"],
                      secret=session["SecretAccessKey"])
    env["AWS_SESSION_TOKEN"] = session["SessionToken"]
    code, lines = check(env, capsys, monkeypatch)
    assert code == 1
    assert any(line.startswith("roles.dev.arn: ") and "Gatehouse's own identity" in line
               for line in lines)


def test_own_policy_creating_keys_for_every_user_is_warned(tmp_path, aws, slack, federation,
                                                           capsys, monkeypatch):
    iam, config = aws.client("iam"), base_config()
    bounded_roles(iam, config)
    env = environment(tmp_path, slack, federation, config, **own_user(iam, KEYS_EVERYWHERE))
    code, lines = check(env, capsys, monkeypatch)
    assert code == 1
    assert lines == [line for line in lines if "iam:CreateAccessKey for every IAM user" in line]
    assert len(lines) == 1 and lines[0].startswith("AWS identity: ")


def test_a_scoped_own_policy_passes(tmp_path, aws, slack, federation, capsys,
        monkeypatch):
    iam, config = aws.client("iam"), base_config()
    bounded_roles(iam, config)
    env = environment(tmp_path, slack, federation, config, **own_user(iam, KEYS_SCOPED))
    code, lines = check(env, capsys, monkeypatch)
    assert (code, lines) == (0, [])


def test_unreadable_own_policies_are_said_in_a_line(tmp_path, aws, slack, federation, capsys,
        monkeypatch):
    config = base_config()
    bounded_roles(aws.client("iam"), config)
    env = environment(tmp_path, slack, federation, config)  # moto's default, not an IAM user
    code, lines = check(env, capsys, monkeypatch)
    assert code == 1
    assert len(lines) == 1 and "could not read Gatehouse's own policies" in lines[0]


def test_roles_of_its_own_account_pass_the_start_up_check(aws, federation):
    grants = AwsGrants(AwsClients.from_environment("us-east-1"), federation.url)
    assert grants.foreign_roles({"dev": f"arn:aws:iam::{ACCOUNT}:role/Dev"}) == []
    assert grants.foreign_roles({"cross": FOREIGN})[0].startswith("roles.cross.arn: ")
