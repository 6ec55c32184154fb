"""`check-config --online`: Slack's token, Gatehouse's AWS identity, and every role it grants."""

from __future__ import annotations

from botocore.client import BaseClient

from aws.clients import AwsClients
from aws.grants import foreign_role_line
from aws.iam import account_of_role, check_target_role, role_max_session_seconds
from aws.own_policies import own_policy_documents
from aws.sts import CallerIdentity, caller_identity
from cli_accounts import online_account_problems
from config import Config, Environment
from domain.errors import AwsError
from domain.iam import creates_keys_for_every_user
from services.gatehouse import utcnow
from wiring import slack_client
from wiring.identity_center import identity_center_problems


def online_problems(env: Environment, config: Config) -> list[str]:
    """Every problem found by asking Slack and AWS, one line each naming the key or account."""
    problems = []
    try:
        slack_client(env).auth_test()
    except Exception as exc:  # any failure here is a finding to print, not a crash
        problems.append(f"SLACK_BOT_TOKEN: Slack auth.test failed: {exc}")
    clients = AwsClients.from_environment(env.aws_region)
    try:
        caller = caller_identity(clients.sts())
    except AwsError as exc:
        problems.append(f"AWS credentials: STS GetCallerIdentity failed: {exc}")
        return problems
    iam = clients.iam()
    if config.multi_account:  # each role is read in its account, through its manage role
        problems += online_account_problems(config, clients, caller)
    for name, role in ({} if config.multi_account else config.roles).items():
        problems += role_problems(iam, name, role.arn, role.max_duration, caller)
    problems += identity_center_problems(config, clients, utcnow)
    return problems + own_policy_problems(iam, caller.arn)


def role_problems(iam: BaseClient, name: str, arn: str, max_duration: int,
                   caller: CallerIdentity) -> list[str]:
    key = f"roles.{name}.arn"
    if account_of_role(arn) != caller.account:
        return [foreign_role_line(name, arn, caller.account)]
    try:
        limit = role_max_session_seconds(iam, arn)
    except AwsError as exc:
        return [f"{key}: {exc}"]
    problems = check_target_role(iam, key, arn, caller.arn)
    if max_duration > limit:
        problems.append(f"roles.{name}.max_duration: longer than the role's "
                        f"MaxSessionDuration ({limit // 60} minutes) in IAM")
    return problems


def own_policy_problems(iam: BaseClient, caller_arn: str) -> list[str]:
    """Gatehouse's own identity must not be able to create access keys for every IAM user."""
    try:
        documents = own_policy_documents(iam, caller_arn)
    except AwsError as exc:
        return [f"AWS identity: could not read Gatehouse's own policies to check them "
                f"({exc}); allow it to read its own policies, or check by hand that it cannot "
                "create access keys for every IAM user"]
    if creates_keys_for_every_user(documents):
        return [f"AWS identity: {caller_arn} may call iam:CreateAccessKey for every IAM user; "
                "scope it to a path and the mapping tag as in deploy/iam-policy-keys.json"]
    return []
