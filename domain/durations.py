"""Durations written as `15m`, `2h`, `1h30m` or `7d`, to and from seconds."""

from __future__ import annotations

import re

_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


class DurationError(ValueError):
    """A duration that does not parse; the message says how to write one."""


def parse_duration(text: str) -> int:
    """Return the number of seconds in `text`, such as `1h30m`."""
    cleaned = str(text).strip().lower().replace(" ", "")
    match = _DURATION.match(cleaned)
    if not cleaned or not match or not any(match.groups()):
        raise DurationError(
            f"'{text}' is not a duration; write it like 15m, 2h, 1h30m or 7d"
        )
    amounts = [int(group or 0) for group in match.groups()]
    seconds = sum(a * u for a, u in zip(amounts, _UNIT_SECONDS.values(), strict=True))
    if seconds <= 0:
        raise DurationError(f"'{text}' is zero; a duration must be longer than that")
    return seconds


def format_duration(seconds: int) -> str:
    """Return the shortest written form of `seconds`, such as `1h30m`."""
    if seconds <= 0:
        return "0m"
    parts = []
    for unit, size in _UNIT_SECONDS.items():
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)
