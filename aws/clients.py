"""AwsClients: builds each boto3 client once, lazily, with the shared retry and timeout policy."""

from __future__ import annotations

import os
import threading

import boto3
from botocore.client import BaseClient
from botocore.config import Config

DEFAULT_REGION = "us-east-1"

# Retries live here and nowhere else: adaptive mode backs off on throttling client-side.
CLIENT_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=20,
)


def region_from_environment() -> str:
    """`AWS_REGION`, else `AWS_DEFAULT_REGION`, else us-east-1."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


class AwsClients:
    """A cache of boto3 clients over one Session; safe to share between threads."""

    def __init__(self, session: boto3.session.Session, region: str) -> None:
        self.session = session
        self.region = region
        self._clients: dict[tuple[str, str], BaseClient] = {}
        # Creating clients from one Session is not thread-safe; using them afterwards is.
        self._lock = threading.Lock()

    @classmethod
    def from_environment(cls, region: str | None = None) -> AwsClients:
        """Clients over boto3's standard chain; boto3 itself honours AWS_ENDPOINT_URL."""
        chosen = region or region_from_environment()
        return cls(boto3.session.Session(region_name=chosen), chosen)

    def sts(self) -> BaseClient:
        return self._client("sts", self.region)

    def iam(self) -> BaseClient:
        return self._client("iam", self.region)

    def organizations(self) -> BaseClient:
        return self._client("organizations", self.region)

    def s3(self) -> BaseClient:
        return self._client("s3", self.region)

    def cloudtrail(self, region: str = DEFAULT_REGION) -> BaseClient:
        """IAM, STS and sign-in events are recorded only in us-east-1, hence the default."""
        return self._client("cloudtrail", region)

    def _client(self, service: str, region: str) -> BaseClient:
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self.session.client(
                    service, region_name=region, config=CLIENT_CONFIG
                )
            return self._clients[key]
