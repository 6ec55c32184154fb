"""The ports key rotation reads as one bundle, until it takes each port on its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from config import Config
from domain.requests import AccessRequest
from services.access_rules import SYSTEM, AccessRules, now_label, require_request
from services.ports import AuditLog, AwsPort, JobQueue, RequestStore, SlackPort, UnitOfWork

__all__ = ["SYSTEM", "Context", "now_label"]


class RotationRequestStore(RequestStore, Protocol):
    """Key rotation opens transactions through the request store's `store`."""

    store: UnitOfWork


@dataclass
class Context:
    config: Config
    repo: RotationRequestStore
    jobs: JobQueue
    audit: AuditLog
    slack: SlackPort
    aws: AwsPort
    rules: AccessRules

    def request(self, request_id: int) -> AccessRequest:
        return require_request(self.repo, request_id)

    def is_admin(self, user: str) -> bool:
        return self.rules.is_admin(user)

    def channel_for(self, request: AccessRequest) -> str:
        return self.rules.channel_for(request)

    def decision_makers(self, request: AccessRequest) -> list[str]:
        return self.rules.decision_makers(request)
