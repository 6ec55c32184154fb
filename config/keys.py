"""Key rotation settings: the IAM user tag, grace period, deletion and safety switches."""

from __future__ import annotations

from pydantic import Field, field_validator

from config.fields import IAM_USER_NAME, Seconds, Strict


class IdentityConfig(Strict):
    iam_user_tag: str = "slack-user-id"


class KeysConfig(Strict):
    grace_period: Seconds = 24 * 3600
    delete_after: Seconds = 7 * 86400
    requires_approval: bool = False
    allow_first_key: bool = False  # may rotate-key create a first key for a user with none?
    allow_admin_keys: bool = False  # may it create keys for administrators and protected users?
    protected_users: list[str] = Field(default_factory=list)  # IAM user names never rotated

    @field_validator("protected_users")
    @classmethod
    def _check_user_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not IAM_USER_NAME.match(str(name)):
                raise ValueError(f"'{name}' is not an IAM user name (letters, digits and "
                                 "+=,.@_- up to 64 characters)")
        return value
