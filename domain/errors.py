"""Errors the use cases raise or catch: shown to the Slack user, or refused by the cloud."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.requests import AccessRequest


class UserError(Exception):
    """Bad input or a refused action; the message says what was wrong and how to fix it."""


class CloudError(Exception):
    """A cloud call failed; `message` is fit to show a Slack user, `code` is the provider's code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class AwsError(CloudError):
    """An AWS call failed; `message` is fit to show a Slack user, `code` is AWS's error code."""


class AlreadyRequested(Exception):
    """The requester already has an open request of this kind; `label` names it (R-42)."""

    def __init__(self, label: str) -> None:
        super().__init__(label)
        self.label = label


class DuplicateRequest(Exception):
    """The requester already has an open request (or live grant) of the same kind."""

    def __init__(self, existing: AccessRequest) -> None:
        super().__init__(existing.label)
        self.existing = existing
