"""AWS faults injected into the bot's own boto3 clients with botocore's `before-send` hook."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

ERROR_BODY = ("<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code>"
              "<Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>")


class _Body:
    def __init__(self, content: bytes) -> None:
        self.content = content

    def stream(self, **_: Any):
        yield self.content


def error_response(url: str, status: int, code: str, message: str) -> AWSResponse:
    kind = "Receiver" if status >= 500 else "Sender"
    body = ERROR_BODY.format(kind=kind, code=code, message=message).encode()
    return AWSResponse(url, status, {"Content-Type": "text/xml"}, _Body(body))


FAULTS = {
    "throttle": (400, "Throttling", "Rate exceeded"),
    "5xx": (503, "ServiceUnavailable", "Service is unavailable"),
    "500": (500, "InternalFailure", "internal error"),
    "denied": (403, "AccessDenied", "not authorized"),
}


class AwsFaults:
    """Plans faults per operation (`AssumeRole`, `PutRolePolicy`…) and counts every attempt.

    An attempt that meets a planned fault never reaches moto; the others go through.
    """

    def __init__(self, *clients: Any) -> None:
        self.plan: dict[str, list[str]] = defaultdict(list)
        self.attempts: Counter = Counter()
        self.faulted: Counter = Counter()
        self._lock = threading.Lock()
        for client in clients:
            client.meta.events.register_first("before-send", self._before_send)

    def fail(self, operation: str, *faults: str) -> None:
        """The next attempts of `operation` meet these faults, in order."""
        with self._lock:
            self.plan[operation].extend(faults)

    def clear(self) -> None:
        with self._lock:
            self.plan.clear()

    def _before_send(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        operation = event_name.rsplit(".", 1)[-1]
        with self._lock:
            self.attempts[operation] += 1
            fault = self.plan[operation].pop(0) if self.plan[operation] else None
            if fault:
                self.faulted[operation] += 1
        if fault is None:
            return None
        if fault == "timeout":
            raise ReadTimeoutError(endpoint_url=request.url)
        status, code, message = FAULTS[fault]
        return error_response(request.url, status, code, message)
