"""A scheduled start, `at YYYY-MM-DD HH:MM` in the config timezone: parsed and checked."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from domain.durations import format_duration
from domain.policy import PolicyRefusal
from domain.text import escape, utc_label

DEFAULT_HORIZON = timedelta(days=14)
_DATE_LIKE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


def parse_start(text: str, zone_name: str, now: datetime,
                horizon: timedelta = DEFAULT_HORIZON) -> datetime:
    """The UTC start of `YYYY-MM-DD HH:MM` in `zone_name`: in the future, within `horizon`."""
    zone = ZoneInfo(zone_name)
    text = escape(" ".join(text.split()))
    try:
        naive = datetime.strptime(text, "%Y-%m-%d %H:%M")
    except ValueError:
        example = (now.astimezone(zone) + timedelta(days=1)).strftime("%Y-%m-%d 09:00")
        raise PolicyRefusal(
            f"'{text}' is not a start time; write it as YYYY-MM-DD HH:MM "
            f"({zone_name}), for example `at {example}`.") from None
    local = naive.replace(tzinfo=zone)
    start = local.astimezone(timezone.utc)
    if start.astimezone(zone).replace(tzinfo=None) != naive:
        raise PolicyRefusal(f"{text} does not exist in {zone_name} (the clocks skip it); "
                            f"pick another time.")
    check_start(start, now, horizon, f"{text} ({zone_name})")
    return start


def check_start(start: datetime, now: datetime, horizon: timedelta = DEFAULT_HORIZON,
                shown: str | None = None) -> None:
    """Raise PolicyRefusal unless `start` is after `now` and at most `horizon` ahead."""
    shown = shown or utc_label(start)
    if start <= now:
        raise PolicyRefusal(f"{shown} is in the past; pick a later start, written "
                            f"YYYY-MM-DD HH:MM.")
    if start > now + horizon:
        raise PolicyRefusal(
            f"{shown} is too far ahead: a start may be at most "
            f"{format_duration(int(horizon.total_seconds()))} from now, "
            f"until {utc_label(now + horizon)}. Pick an earlier start, written YYYY-MM-DD HH:MM.")


def take_start(words: list[str], zone_name: str, now: datetime,
               horizon: timedelta = DEFAULT_HORIZON) -> tuple[datetime | None, list[str]]:
    """Split `at YYYY-MM-DD HH:MM` off the front of `words`: (UTC start or None, the rest).

    A reason that merely begins with "at" (`at the customer's request`) is left alone.
    """
    if len(words) < 2 or words[0].lower() != "at" or not _DATE_LIKE.match(words[1]):
        return None, words
    if len(words) < 3:
        raise PolicyRefusal("After `at`, give the start as YYYY-MM-DD HH:MM, then the reason.")
    return parse_start(f"{words[1]} {words[2]}", zone_name, now, horizon), words[3:]
