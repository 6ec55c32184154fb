"""Errors the use cases raise or catch: shown to users as is, or turned into words."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.requests import AccessRequest


class UserError(Exception):
    """Bad input or a refused action; the message says what was wrong and how to fix it."""


class AwsError(Exception):
    """An AWS call failed; `message` is fit to show a Slack user, `code` is AWS's error code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class DuplicateRequest(Exception):
    """The requester already has an open request (or live grant) of the same kind."""

    def __init__(self, existing: AccessRequest) -> None:
        super().__init__(existing.label)
        self.existing = existing
