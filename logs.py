"""JSON log lines on stderr, with secrets masked and chatty libraries kept quiet."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime, timezone
from typing import TextIO

# Libraries that log request and response bodies (and so credentials) at DEBUG.
QUIET_LOGGERS = ("botocore", "boto3", "urllib3", "slack_sdk", "slack_bolt", "s3transfer",
                 "apscheduler", "waitress", "werkzeug", "moto")
# Names whose value is a secret, as AWS, the federation endpoint and the CLI spell them.
_SECRET_NAMES = (r"(?:secret[_ -]?access[_ -]?key|session[_ -]?key|session[_ -]?token"
                 r"|security[_ -]?token|signin[_ -]?token)")
# What may stand between a name and its value: quotes, `:`, `=`, spaces, `+`, backslashes (a
# JSON-escaped form) and the same characters percent-encoded, once or twice (a URL form).
_BETWEEN = r"""(?:\\|["'=:+\s]|%(?:25)?(?:22|27|3A|3D|20|5C))"""
_VALUE = r"[A-Za-z0-9/+=%_.\-]{16,}"
SECRET_PATTERNS = [
    re.compile(rf"(?i)({_SECRET_NAMES}{_BETWEEN}{{1,16}}){_VALUE}"),
    re.compile(r"(xox[abposr]-)[A-Za-z0-9-]+"),
    re.compile(r"(xapp-)[A-Za-z0-9-]+"),
]
STANDARD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def redact(text: str) -> str:
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "[redacted]", text)
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in STANDARD_FIELDS})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str))


def setup_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send every log line as one JSON object to stderr (or `stream`)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
