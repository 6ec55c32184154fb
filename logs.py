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
SECRET_PATTERNS = [
    re.compile(r"(?i)(secret[_ ]?access[_ ]?key[\"'=: ]+)[A-Za-z0-9/+=]{16,}"),
    re.compile(r"(?i)(session[_ ]?token[\"'=: ]+)[A-Za-z0-9/+=%]{16,}"),
    re.compile(r"(?i)(signin[_ ]?token[\"'=: ]+)[A-Za-z0-9_\-%.]{16,}"),
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
