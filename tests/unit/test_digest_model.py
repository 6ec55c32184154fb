"""The digest as data: changes since the previous one, acknowledgements, owners, fixes, trend."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.digest import (
    Acknowledgement,
    DigestInputs,
    Fix,
    PreviousDigest,
    StoredFinding,
    assemble,
    button_finding,
    check_was_run,
    denied_baseline,
    denied_counts,
    finding_id,
    stored_fix,
    trend_points,
)
from domain.digest_text import render_text, summary_lines
from domain.hygiene import (
    AuthorizationDetails,
    MissingSource,
    Severity,
    Thresholds,
    TrailEvent,
    run_checks,
)
from domain.iam import AccessKey, IamUser
from tests.unit.hygiene_builders import ACCOUNT, NOW, days_ago, report_row, snapshot, user

TODAY = NOW.date()
THRESHOLDS = Thresholds(min_admins=0)


def account(**changes):
    rows = [report_row("alice", password_enabled=True, mfa_active=False,
                       password_last_used=days_ago(1)),
            report_row("svc", access_key_1_active=True, access_key_1_last_rotated=days_ago(200),
                       access_key_1_last_used_date=days_ago(1))]
    users = (user("alice", tags={"slack-user-id": "U0ALICE"}),
             user("svc", tags={"slack-user-id": "<!channel>"}))
    return replace(snapshot(rows, AuthorizationDetails(users=users)), **changes)


def digest_of(snap, previous=None, acks=None, **inputs):
    findings = run_checks(snap, THRESHOLDS, now=NOW)
    return assemble(snap, findings, DigestInputs(
        now=NOW, day=TODAY, owner_tag="slack-user-id", previous=previous, acks=acks or {},
        **inputs))


def stored(finding, **changes) -> StoredFinding:
    base = StoredFinding(finding.key, finding.check_id, finding.severity, finding.title)
    return replace(base, **changes)


def keyed(digest, check_id):
    return next(f for f in digest.findings if f.check_id == check_id)


def test_first_digest_calls_every_finding_new():
    digest = digest_of(account())
    assert digest.previous_at is None and digest.new_count == len(digest.findings) == 2
    assert "First digest" in summary_lines(digest)[1]


def test_new_resolved_and_still_open_against_the_previous_digest():
    today = digest_of(account())
    old_key = keyed(today, "user.access_key_too_old")
    gone = StoredFinding("user.two_active_keys|arn:aws:iam::123456789012:user/bob",
                         "user.two_active_keys", Severity.LOW, "bob has two active access keys")
    previous = PreviousDigest(NOW - timedelta(days=1), (stored(old_key), gone))
    digest = digest_of(account(), previous)
    assert [f.check_id for f in digest.findings if digest.is_new(f)] == [
        "user.console_without_mfa"]
    assert digest.resolved == (gone,) and digest.still_open_count == 1
    assert "1 new, 1 resolved, 1 still open" in summary_lines(digest)[1]


def test_a_finding_whose_source_is_missing_is_not_called_resolved():
    previous_finding = keyed(digest_of(account()), "user.console_without_mfa")
    previous = PreviousDigest(NOW - timedelta(days=1), (stored(previous_finding),))
    snap = replace(account(), credential_report=None,
                   missing=(MissingSource("IAM credential report", "AccessDenied"),))
    digest = digest_of(snap, previous)
    assert digest.resolved == () and digest.unchecked == (stored(previous_finding),)
    text = render_text(digest)
    assert "Missing sources: IAM credential report: AccessDenied" in text
    assert "Not checked this time" in text


@pytest.mark.parametrize(("check_id", "missing", "run"), [
    ("trail.root_activity", {"events_read": False}, False),
    ("password_policy.weak", {"password_policy_read": False}, False),
    ("role.unused", {"authorization": None}, False),
    ("user.direct_policy", {"authorization": None}, False),
    ("user.unused_credential", {"credential_report": None}, False),
    ("root.mfa_disabled", {"credential_report": None}, False),
    ("user.unused_credential", {"authorization": None}, True),
])
def test_which_checks_ran(check_id, missing, run):
    snap = replace(account(events_read=True, password_policy_read=True), **missing)
    assert check_was_run(check_id, snap) is run


def test_an_acknowledged_finding_hides_through_its_date_then_returns():
    key = keyed(digest_of(account()), "user.console_without_mfa").key
    ack = Acknowledgement(key, TODAY + timedelta(days=2), "U0ADMIN", NOW)
    hidden = digest_of(account(), acks={key: ack})
    assert [f.key for f, _ in hidden.acknowledged] == [key]
    assert key not in {f.key for f in hidden.findings}
    assert "accepted until" in render_text(hidden)
    last_day = assemble(account(), run_checks(account(), THRESHOLDS, now=NOW), DigestInputs(
        now=NOW, day=TODAY + timedelta(days=2), owner_tag="t", acks={key: ack}))
    assert len(last_day.acknowledged) == 1
    back = assemble(account(), run_checks(account(), THRESHOLDS, now=NOW), DigestInputs(
        now=NOW, day=TODAY + timedelta(days=3), owner_tag="t", acks={key: ack}))
    assert back.acknowledged == () and key in {f.key for f in back.findings}


def test_owners_come_from_the_tag_only_when_it_is_a_slack_user_id():
    digest = digest_of(account())
    owners = {keyed(digest, c).iam_user_name: digest.owners.get(keyed(digest, c).key)
              for c in ("user.console_without_mfa", "user.access_key_too_old")}
    assert owners == {"alice": "U0ALICE", "svc": None}


def test_fix_buttons_name_the_stored_finding_which_names_the_user_and_slot():
    digest = digest_of(account())
    key, password = (keyed(digest, c) for c in ("user.access_key_too_old",
                                                "user.console_without_mfa"))
    key_fix = digest.fixes[key.key]
    assert key_fix == Fix("deactivate_key", "svc", 1, days_ago(200), finding_id(key.key))
    assert digest.fixes[password.key] == Fix("remove_password", "alice",
                                             fid=finding_id(password.key))
    fid, created = button_finding(key_fix.button_value)
    assert fid == finding_id(key.key) and "svc" not in key_fix.button_value
    assert stored_fix(stored(key), "deactivate_key", created) == replace(
        key_fix, key_created=days_ago(200).replace(microsecond=0))
    assert stored_fix(stored(password), "remove_password") == digest.fixes[password.key]
    with pytest.raises(ValueError):
        stored_fix(stored(key), "remove_password")
    with pytest.raises(ValueError):
        stored_fix(stored(password), "deactivate_key")


def test_a_finding_that_offers_no_fix_gives_none():
    other = StoredFinding("role.unused|arn:aws:iam::1:role/x", "role.unused", Severity.LOW, "x")
    two = StoredFinding("user.console_without_mfa|arn:aws:iam::1:user/a+arn:aws:iam::1:user/b",
                        "user.console_without_mfa", Severity.HIGH, "x")
    for finding in (other, two):
        with pytest.raises(ValueError):
            stored_fix(finding, "remove_password")


@pytest.mark.parametrize("value", [
    "svc|1|0", "svc", "", "<!channel>", "0123456789abcdef|yesterday", "0123456789abcde",
    "0123456789ABCDEF", "0123456789abcdef|1|2",
])
def test_button_values_that_gatehouse_did_not_write_are_refused(value):
    with pytest.raises(ValueError):
        button_finding(value)


def denied(actor: str, hours: float, code: str = "AccessDenied") -> TrailEvent:
    return TrailEvent(f"{actor}{hours}{code}", NOW - timedelta(hours=hours), "GetObject",
                      "s3.amazonaws.com", "us-east-1", f"arn:aws:iam::{ACCOUNT}:user/{actor}",
                      "IAMUser", actor, error_code=code)


def test_denied_counts_per_principal_in_the_last_day_and_their_baseline():
    events = [denied("ci", 1), denied("ci", 2), denied("ci", 30), denied("ops", 3, "Throttling")]
    counts = denied_counts(snapshot(events=events), NOW)
    assert counts == {f"arn:aws:iam::{ACCOUNT}:user/ci": 2}
    assert denied_counts(replace(snapshot(events=events), events_read=False), NOW) == {}
    assert denied_baseline([{"a": 2}, {"a": 3, "b": 1}, {}]) == {"a": 5, "b": 1}


def test_trend_has_thirty_days_ending_today_with_gaps():
    points = trend_points({TODAY - timedelta(days=2): 4, TODAY - timedelta(days=40): 9}, TODAY, 6)
    assert len(points) == 30 and points[-1].day == TODAY and points[-1].open == 6
    assert points[-3].open == 4 and points[-2].open is None and points[0].open is None


def test_finding_ids_are_short_and_stable():
    assert finding_id("role.unused|arn:aws:iam::1:role/x") == finding_id(
        "role.unused|arn:aws:iam::1:role/x")
    assert len(finding_id("x" * 3000)) == 16


def test_nothing_to_fix():
    digest = digest_of(snapshot([report_row("ok")]))
    assert digest.findings == () and "Nothing to fix today." in render_text(digest)
    assert date(2026, 6, 1) == digest.day and digest.now == datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_credential_report_keys_are_the_shared_access_key_model():
    row = report_row("svc", access_key_2_active=True, access_key_2_last_rotated=days_ago(30),
                     access_key_2_last_used_date=days_ago(2),
                     access_key_2_last_used_service="s3", access_key_2_last_used_region="eu-west-1")
    empty, second = row.access_keys()
    assert (empty.slot, empty.name, empty.key.is_active, empty.key.created) == \
        (1, "access_key_1", False, None)
    assert (second.slot, second.label) == (2, "access key 2")
    assert second.key == AccessKey(None, "Active", days_ago(30), days_ago(2), "s3", "eu-west-1")


def test_the_digest_user_is_the_shared_iam_user_with_its_policies():
    detail = user("carol", user_id="AIDACAROL", tags={"team": "infra"}, groups=("admins",))
    assert isinstance(detail, IamUser) and detail.same_user == "AIDACAROL"
    assert (detail.tags, detail.groups, detail.path) == ({"team": "infra"}, ("admins",), "/")
