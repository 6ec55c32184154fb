"""The pure domain: durations, the request state machine, approval and time rules."""

import ast
import pathlib
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

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
from domain.requests import (
    TRANSITIONS,
    AccessRequest,
    IllegalTransition,
    Kind,
    Status,
    parse_request_id,
    transition,
)

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text,seconds", [
    ("15m", 900), ("2h", 7200), ("1h30m", 5400), ("7d", 604800), ("90s", 90), (" 1H ", 3600),
])
def test_durations_parse(text, seconds):
    assert parse_duration(text) == seconds
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize("text", ["", "1", "h", "1x", "-1h", "1h-", "0m", "1.5h", "30m1h"])
def test_bad_durations_say_how_to_write_one(text):
    with pytest.raises(DurationError, match="15m|zero"):
        parse_duration(text)


def _request(status: Status) -> AccessRequest:
    return AccessRequest(id=7, kind=Kind.ACCESS, requester="U1", role="r", duration_seconds=900,
                         reason="x", status=status, created_at=NOW)


def test_every_legal_move_has_an_audit_action_and_others_are_refused():
    for source in Status:
        for target in Status:
            allowed = target in TRANSITIONS.get(source, {})
            if allowed:
                moved, action = transition(_request(source), target)
                assert moved.status is target and "." in action
            else:
                with pytest.raises(IllegalTransition):
                    transition(_request(source), target)


def test_final_states_have_no_way_out():
    for status in (Status.EXPIRED, Status.REVOKED, Status.DENIED, Status.CANCELLED, Status.FAILED):
        assert status.is_final


@pytest.mark.parametrize("text,number", [("R-42", 42), ("r42", 42), ("42", 42), ("R-x", None),
                                         ("", None), ("R--1", None)])
def test_request_ids(text, number):
    assert parse_request_id(text) == number


def test_approver_rules():
    rule = ApprovalRule(approvers=frozenset({"ULEAD"}), admins=frozenset({"UADMIN"}))
    check_approver(rule, "ULEAD", "UDEV")
    check_approver(rule, "UADMIN", "UDEV")
    with pytest.raises(PolicyRefusal, match="approvers"):
        check_approver(rule, "UOTHER", "UDEV")
    with pytest.raises(PolicyRefusal, match="own request"):
        check_approver(rule, "ULEAD", "ULEAD")
    selfish = ApprovalRule(approvers=frozenset({"ULEAD"}), admins=frozenset(),
                           allow_self_approval=True)
    check_approver(selfish, "ULEAD", "ULEAD")


def test_user_groups_expand_to_members():
    assert expand_approvers(["U1", "S1"], {"S1": ["U2", "U3"]}) == {"U1", "U2", "U3"}


def test_grant_limit_takes_the_smallest_of_config_iam_and_role_chaining():
    assert grant_limit(4 * 3600, 2 * 3600, False) == 2 * 3600
    assert grant_limit(4 * 3600, None, False) == 4 * 3600
    assert grant_limit(4 * 3600, 12 * 3600, True) == 3600


def test_durations_outside_limits_are_refused_with_the_limit():
    check_duration(3600, 3600, "r")
    with pytest.raises(PolicyRefusal, match="1h or less"):
        check_duration(3601, 3600, "r")
    with pytest.raises(PolicyRefusal, match="at least 15m"):
        check_duration(600, 3600, "r")


def test_business_hours_clip_the_grant_and_refuse_outside():
    paris = ZoneInfo("Europe/Paris")
    hours = (time(8), time(12))
    closing = window_end(NOW, hours, paris)  # 11:00 Paris time
    assert closing == datetime(2026, 11, 29, 11, 0, tzinfo=timezone.utc)
    assert grant_end(NOW, 4 * 3600, closing) == closing
    assert grant_end(NOW, 1800, closing) == datetime(2026, 11, 29, 10, 30, tzinfo=timezone.utc)
    with pytest.raises(PolicyRefusal, match="between 08:00 and 12:00"):
        window_end(datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc), hours, paris)
    assert window_end(NOW, None, paris) is None


def test_an_overnight_window_clips_the_grant_at_the_next_mornings_end():
    paris = ZoneInfo("Europe/Paris")
    hours = (time(20), time(8))  # 20:00-08:00 Paris
    evening = datetime(2026, 11, 29, 22, 0, tzinfo=timezone.utc)  # 23:00 in Paris
    closing = window_end(evening, hours, paris)
    assert closing == datetime(2026, 11, 30, 7, 0, tzinfo=timezone.utc)  # 08:00 next day
    assert grant_end(evening, 12 * 3600, closing) == closing
    assert grant_end(evening, 3600, closing) == datetime(2026, 11, 29, 23, 0, tzinfo=timezone.utc)
    small_hours = datetime(2026, 11, 30, 1, 30, tzinfo=timezone.utc)  # 02:30 in Paris
    assert window_end(small_hours, hours, paris) == closing  # 08:00 the same morning
    at_start = datetime(2026, 11, 29, 19, 0, tzinfo=timezone.utc)  # 20:00 exactly
    assert window_end(at_start, hours, paris) == closing
    for outside in (datetime(2026, 11, 30, 7, 0, tzinfo=timezone.utc),  # 08:00: closed
                    datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)):  # 13:00
        with pytest.raises(PolicyRefusal, match="between 20:00 and 08:00 \\(overnight\\)"):
            window_end(outside, hours, paris)


FORBIDDEN = {"slack_bolt", "slack_sdk", "boto3", "botocore", "sqlite_utils", "sqlite3",
             "apscheduler", "aws", "storage", "handlers", "services"}


def test_the_domain_imports_no_framework():
    for path in pathlib.Path("domain").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path} imports {name}"
