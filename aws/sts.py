"""STS edge: who Gatehouse runs as, and AssumeRole for a time-boxed grant."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.client import BaseClient

from aws.errors import AwsError, aws_errors

MIN_DURATION_SECONDS = 900
MAX_DURATION_SECONDS = 43200
ROLE_CHAINING_MAX_SECONDS = 3600
MAX_SESSION_POLICY_CHARS = 2048
MAX_SESSION_TAGS = 50
MAX_TAG_KEY_CHARS = 128
MAX_TAG_VALUE_CHARS = 256
MAX_NAME_CHARS = 64

# RoleSessionName and SourceIdentity share one pattern: [\w+=,.@-]{2,64}, \w being ASCII.
AWS_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
_NAME_FORBIDDEN = re.compile(r"[^\w+=,.@-]", re.ASCII)
# Session tag keys and values: letters, digits, spaces and _ . : / = + - @ (kept to ASCII here).
_TAG_FORBIDDEN = re.compile(r"[^A-Za-z0-9 _.:/=+\-@]")
_MASK = "****"


@dataclass(frozen=True)
class CallerIdentity:
    """The principal Gatehouse itself runs as."""

    account: str
    arn: str
    user_id: str

    @property
    def is_role_session(self) -> bool:
        """True on role credentials: AssumeRole from them is role chaining, capped at 1 h."""
        return ":assumed-role/" in self.arn

    @property
    def max_grant_seconds(self) -> int:
        return ROLE_CHAINING_MAX_SECONDS if self.is_role_session else MAX_DURATION_SECONDS


@dataclass(frozen=True)
class GrantCredentials:
    """Temporary credentials for one grant; repr and str mask the secret and the token."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime
    assumed_role_arn: str

    def __repr__(self) -> str:
        return (
            f"GrantCredentials(access_key_id={self.access_key_id!r}, "
            f"secret_access_key={_MASK!r}, session_token={_MASK!r}, "
            f"expiration={self.expiration.isoformat()!r}, "
            f"assumed_role_arn={self.assumed_role_arn!r})"
        )

    __str__ = __repr__


def caller_identity(sts: BaseClient) -> CallerIdentity:
    """GetCallerIdentity as a CallerIdentity."""
    with aws_errors("Gatehouse's own identity"):
        answer = sts.get_caller_identity()
    return CallerIdentity(account=answer["Account"], arn=answer["Arn"], user_id=answer["UserId"])


def assume_role_for_grant(
    sts: BaseClient,
    *,
    role_arn: str,
    duration_seconds: int,
    session_name: str,
    source_identity: str,
    session_tags: dict[str, str],
    session_policy: dict,
) -> GrantCredentials:
    """AssumeRole for one grant; arguments are checked against AWS's limits before the call."""
    policy_text = json.dumps(session_policy, separators=(",", ":"))
    _check_grant_arguments(duration_seconds, session_name, source_identity, session_tags)
    _check(len(policy_text) <= MAX_SESSION_POLICY_CHARS, "the session policy is too long")
    with aws_errors(role_arn):
        answer = sts.assume_role(
            RoleArn=role_arn,
            RoleSessionName=session_name,
            DurationSeconds=duration_seconds,
            SourceIdentity=source_identity,
            Tags=[{"Key": key, "Value": value} for key, value in session_tags.items()],
            Policy=policy_text,
        )
    return _grant_credentials(answer)


def session_name_for(user_id: str, request_id: int) -> str:
    """A RoleSessionName naming requester and request, such as `gatehouse-U0ABC-R42`."""
    suffix = f"-R{request_id}"
    room = MAX_NAME_CHARS - len("gatehouse-") - len(suffix)
    return f"gatehouse-{_name_safe(user_id)[:room]}{suffix}"


def source_identity_for(email: str | None, user_id: str) -> str:
    """The e-mail when AWS accepts it as SourceIdentity, else the Slack user id (made valid)."""
    if email and _is_valid_source_identity(email):
        return email
    fallback = _name_safe(user_id)[:MAX_NAME_CHARS]
    return fallback if _is_valid_source_identity(fallback) else f"slack-{fallback}"[:MAX_NAME_CHARS]


def session_tags_for(request_id: int, requester: str, role: str) -> dict[str, str]:
    """Session tags naming the request; they show in CloudTrail and can be used in conditions."""
    return {
        "gatehouse-request": f"R-{request_id}",
        "gatehouse-requester": _tag_safe(requester),
        "gatehouse-role": _tag_safe(role),
    }


def _grant_credentials(answer: dict) -> GrantCredentials:
    credentials = answer["Credentials"]
    return GrantCredentials(
        access_key_id=credentials["AccessKeyId"],
        secret_access_key=credentials["SecretAccessKey"],
        session_token=credentials["SessionToken"],
        expiration=credentials["Expiration"].astimezone(UTC),
        assumed_role_arn=answer["AssumedRoleUser"]["Arn"],
    )


def _check_grant_arguments(
    duration_seconds: int, session_name: str, source_identity: str, tags: dict[str, str]
) -> None:
    _check(
        MIN_DURATION_SECONDS <= duration_seconds <= MAX_DURATION_SECONDS,
        f"a grant lasts 15 minutes to 12 hours, not {duration_seconds} seconds",
    )
    _check(bool(AWS_NAME.fullmatch(session_name)), f"'{session_name}' is not a valid session name")
    _check(
        _is_valid_source_identity(source_identity),
        f"'{source_identity}' is not a valid source identity",
    )
    _check(len(tags) <= MAX_SESSION_TAGS, "a session carries at most 50 tags")
    for key, value in tags.items():
        _check(_is_valid_tag(key, value), f"session tag '{key}' is not valid for AWS")


def _check(condition: bool, problem: str) -> None:
    if not condition:
        raise AwsError(f"Gatehouse cannot ask AWS for this grant: {problem}", "ValidationError")


def _is_valid_source_identity(value: str) -> bool:
    return bool(AWS_NAME.fullmatch(value)) and not value.lower().startswith("aws:")


def _is_valid_tag(key: str, value: str) -> bool:
    key_ok = 1 <= len(key) <= MAX_TAG_KEY_CHARS and not key.lower().startswith("aws:")
    value_ok = len(value) <= MAX_TAG_VALUE_CHARS
    return key_ok and value_ok and not _TAG_FORBIDDEN.search(key + value)


def _name_safe(text: str) -> str:
    return _NAME_FORBIDDEN.sub("_", text.strip())


def _tag_safe(text: str) -> str:
    return _TAG_FORBIDDEN.sub("_", text.strip())[:MAX_TAG_VALUE_CHARS]
