"""`check-config --online` across accounts: every manage role assumed, every role read there."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aws.accounts import AccountSessions
from aws.errors import AwsError, aws_errors
from aws.iam import (
    account_of_role,
    check_target_role,
    role_max_session_seconds,
    role_name_from_arn,
)
from domain.accounts import Account


@dataclass(frozen=True)
class RoleToCheck:
    """A configured role: the config key it came from, its ARN and the longest grant on it."""

    name: str
    arn: str
    max_duration: int


def manage_role_problems(sessions: AccountSessions) -> tuple[list[str], set[str]]:
    """One line per account whose manage role cannot be assumed (naming the account), and
    the ids of the accounts that answered."""
    problems, reached = [], set()
    for account in sessions.accounts():
        problem = _manage_role_problem(sessions, account)
        if problem:
            problems.append(f"{_key(account)}: {problem}")
        else:
            reached.add(account.id)
    return problems, reached


def _manage_role_problem(sessions: AccountSessions, account: Account) -> str | None:
    """Why the manage role cannot be used (assumed, acting in its account, readable by
    itself), or None."""
    try:
        clients = sessions.clients(account.id)
        with aws_errors(f"the manage role of account {account.name}"):
            acting_in = clients.sts().get_caller_identity()["Account"]
            clients.iam().get_role(RoleName=role_name_from_arn(account.manage_role))
    except AwsError as exc:
        return str(exc)
    if acting_in != account.id:
        return (f"the manage role {account.manage_role} acts in account {acting_in}, "
                f"not {account.id}")
    return None


def role_problems(sessions: AccountSessions, roles: Iterable[RoleToCheck], reached: set[str],
                  caller_arn: str) -> list[str]:
    """Each role read through its own account's manage role: it exists, carries the target
    boundary, and allows the longest grant configured on it."""
    problems = []
    for role in roles:
        account_id = account_of_role(role.arn)
        if account_id not in reached:
            continue  # its account's manage role failed, and is reported on its own line
        key = f"roles.{role.name}.arn"
        iam = sessions.clients(account_id).iam()
        try:
            limit = role_max_session_seconds(iam, role.arn)
        except AwsError as exc:
            problems.append(f"{key}: in account {_label(sessions, account_id)}: {exc}")
            continue
        problems += check_target_role(iam, key, role.arn, caller_arn)
        if role.max_duration > limit:
            problems.append(f"roles.{role.name}.max_duration: longer than the role's "
                            f"MaxSessionDuration ({limit // 60} minutes) in account "
                            f"{_label(sessions, account_id)}")
    return problems


def _key(account: Account) -> str:
    return f"accounts.{account.name} ({account.id})"


def _label(sessions: AccountSessions, account_id: str) -> str:
    account = sessions.account(account_id)
    return f"{account.name} ({account_id})" if account else account_id
