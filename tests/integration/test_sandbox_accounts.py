"""The sandbox's emulated organisation: readonly in prod, staging and dev, each managed."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from aws.accounts import AccountSessions
from aws.clients import AwsClients
from config import parse_config
from sandbox import seed


def test_the_demo_config_offers_readonly_in_each_account():
    config = parse_config(seed.demo_config())
    for name in ("prod", "staging", "dev"):
        role = config.role(f"{name}/readonly")
        assert role.arn == f"arn:aws:iam::{seed.ORG_ACCOUNTS[name]}:role/ReadOnly"
    assert config.role("prod-readonly").account == "main"


def test_the_seed_creates_each_accounts_roles_in_that_account(aws):
    def iam_in(keys):
        return boto3.client("iam", region_name="us-east-1", aws_access_key_id=keys["AccessKeyId"],
                            aws_secret_access_key=keys["SecretAccessKey"],
                            aws_session_token=keys["SessionToken"])

    seed.seed_accounts(aws.client("sts"), iam_in)
    sessions = AccountSessions(AwsClients.from_environment("us-east-1"),
                               parse_config(seed.demo_config()).named_accounts())
    for name in ("prod", "staging", "dev"):
        iam = sessions.clients(seed.ORG_ACCOUNTS[name]).iam()
        assert iam.get_role(RoleName="ReadOnly")["Role"]["MaxSessionDuration"] == 4 * 3600
        assert iam.get_role(RoleName=seed.MANAGE_ROLE)
    with pytest.raises(ClientError):
        sessions.hub.iam().get_role(RoleName="ReadOnly")
