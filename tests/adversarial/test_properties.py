"""Property-based tests: random event sequences against the real services and SQLite, and the
duration parser and approval policy against simple references."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.durations import DurationError, format_duration, parse_duration
from domain.policy import (
    ApprovalRule,
    PolicyRefusal,
    check_approver,
    check_duration,
    expand_approvers,
    grant_end,
    grant_limit,
    window_end,
)
from tests.adversarial.machine import STATEFUL, AccessMachine

TestAccessMachine = AccessMachine.TestCase
TestAccessMachine.settings = STATEFUL


# --- the duration parser against a reference ----------------------------------------------

UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def reference_duration(text: str) -> int | None:
    """Digits then a unit, units in the order d h m s, each at most once; more than zero."""
    cleaned = text.strip().lower().replace(" ", "")
    total, next_rank, digits = 0, 0, ""
    for char in cleaned:
        if char in "0123456789":
            digits += char
            continue
        if char not in UNIT_SECONDS or not digits or "dhms".index(char) < next_rank:
            return None
        total += int(digits) * UNIT_SECONDS[char]
        digits, next_rank = "", "dhms".index(char) + 1
    if digits:
        return None
    return total or None


DURATION_TEXT = st.text(alphabet="0123456789dhmsx :-", max_size=12) | st.builds(
    lambda parts: "".join(f"{n}{u}" for n, u in parts),
    st.lists(st.tuples(st.integers(0, 200), st.sampled_from("dhms")), max_size=4))


@given(DURATION_TEXT)
@settings(max_examples=1500, deadline=None, database=None)
def test_duration_parser_agrees_with_reference(text):
    expected = reference_duration(text)
    try:
        got = parse_duration(text)
    except DurationError:
        got = None
    assert got == expected, (text, got, expected)


@given(st.integers(1, 10**7))
@settings(max_examples=500, deadline=None, database=None)
def test_format_then_parse_is_identity(seconds):
    assert parse_duration(format_duration(seconds)) == seconds


# --- the approval policy against a reference ----------------------------------------------

PEOPLE = st.sampled_from(["U1", "U2", "U3", "U4"])


@given(approvers=st.frozensets(PEOPLE), admins=st.frozensets(PEOPLE), user=PEOPLE,
       requester=PEOPLE, self_ok=st.booleans())
@settings(max_examples=500, deadline=None, database=None)
def test_who_may_decide(approvers, admins, user, requester, self_ok):
    rule_ = ApprovalRule(approvers=approvers, admins=admins, allow_self_approval=self_ok)
    allowed = (user in approvers or user in admins) and (user != requester or self_ok)
    try:
        check_approver(rule_, user, requester)
        decided = True
    except PolicyRefusal:
        decided = False
    assert decided == allowed


@given(role_max=st.integers(60, 86400), iam_max=st.none() | st.integers(0, 43200),
       chaining=st.booleans(), seconds=st.integers(0, 90000))
@settings(max_examples=500, deadline=None, database=None)
def test_limits_and_durations(role_max, iam_max, chaining, seconds):
    limits = [role_max, 43200] + ([iam_max] if iam_max else []) + ([3600] if chaining else [])
    limit = grant_limit(role_max, iam_max, chaining)
    assert limit == min(limits)
    try:
        check_duration(seconds, limit, "r")
        accepted = True
    except PolicyRefusal:
        accepted = False
    assert accepted == (900 <= seconds <= limit)


@example(minute=1380, start=0, length=2, seconds=900, zone="Europe/Paris")  # the DST gap
@given(minute=st.integers(0, 48 * 60 - 1), start=st.integers(0, 22), length=st.integers(1, 12),
       seconds=st.integers(900, 43200),
       zone=st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]))
@settings(max_examples=500, deadline=None, database=None)
def test_business_hours_window(minute, start, length, seconds, zone):
    hours = (time(start), time(start + length) if start + length < 24 else time(23, 59))
    now = datetime(2026, 3, 28, tzinfo=timezone.utc) + timedelta(minutes=minute)
    local = now.astimezone(ZoneInfo(zone))
    inside = hours[0] <= local.time() < hours[1]
    try:
        closing = window_end(now, hours, ZoneInfo(zone))
    except PolicyRefusal:
        assert not inside
        return
    assert inside
    expected = datetime.combine(local.date(), hours[1], tzinfo=ZoneInfo(zone))
    # Compared in UTC: aware datetimes in a DST gap never equal those of another zone.
    assert closing.astimezone(timezone.utc) == expected.astimezone(timezone.utc)
    assert closing > now
    assert grant_end(now, seconds, closing) == min(now + timedelta(seconds=seconds), closing)


@given(entries=st.lists(st.sampled_from(["U1", "U2", "S1", "S2"])),
       groups=st.dictionaries(st.sampled_from(["S1", "S2"]), st.lists(PEOPLE)))
@settings(max_examples=300, deadline=None, database=None)
def test_group_approvers_are_expanded(entries, groups):
    expected = {u for e in entries for u in (groups.get(e, []) if e.startswith("S") else [e])}
    assert expand_approvers(entries, groups) == expected


def test_reference_rejects_what_the_contract_rejects():
    for text in ("", "h", "1x", "m30", "30m1h", "1h1h", "0m", "1.5h", "-1h"):
        assert reference_duration(text) is None, text
    for text, seconds in (("15m", 900), ("1h30m", 5400), ("7d", 604800), (" 2H ", 7200)):
        assert reference_duration(text) == seconds
