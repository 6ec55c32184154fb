"""The CloudTrail hygiene checks on hand-built events, with no AWS at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.hygiene import AccountSnapshot, Severity, Thresholds, TrailEvent, run_checks

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ACCOUNT = "123456789012"
GATEHOUSE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/Gatehouse"


def snapshot(events) -> AccountSnapshot:
    return AccountSnapshot(collected_at=NOW, account_id=ACCOUNT, events=tuple(events),
                           events_read=True)


def check(snap: AccountSnapshot, check_id: str, **inputs):
    findings = run_checks(snap, Thresholds(), now=NOW, **inputs)
    assert all(f.principals and f.detail and f.remediation for f in findings)
    return [finding for finding in findings if finding.check_id == check_id]


def event(name: str, *, hours_ago: float = 1, who: str = "alice", kind: str = "IAMUser",
          **fields) -> TrailEvent:
    arn = {"IAMUser": f"arn:aws:iam::{ACCOUNT}:user/{who}", "Root": f"arn:aws:iam::{ACCOUNT}:root",
           "AssumedRole": f"arn:aws:sts::{ACCOUNT}:assumed-role/{who}/session"}[kind]
    defaults = {
        "event_id": f"{name}-{who}-{hours_ago}-{len(fields)}-{id(fields)}",
        "time": NOW - timedelta(hours=hours_ago), "event_name": name,
        "event_source": "iam.amazonaws.com", "region": "us-east-1", "principal_arn": arn,
        "principal_type": kind, "username": who if kind != "Root" else None,
        "source_ip": "198.51.100.7",
        "session_issuer_arn": f"arn:aws:iam::{ACCOUNT}:role/{who}" if kind == "AssumedRole"
        else None,
    }
    return TrailEvent(**{**defaults, **fields})


def sign_in(outcome: str, mfa: bool, **fields) -> TrailEvent:
    return event("ConsoleLogin", event_source="signin.amazonaws.com", read_only=False,
                 console_login_outcome=outcome, mfa_used=mfa, **fields)


def test_root_activity():
    events = [event("ListUsers", kind="Root", read_only=True), event("GetUser", who="bob")]
    [finding] = check(snapshot(events), "trail.root_activity")
    assert finding.severity is Severity.CRITICAL and "ListUsers" in finding.detail


def test_console_sign_in_without_mfa():
    events = [sign_in("Success", False), sign_in("Success", True, who="bob"),
              sign_in("Success", False, who="Federated", kind="AssumedRole"),
              sign_in("Success", False, kind="Root")]
    root, alice = check(snapshot(events), "trail.console_login_without_mfa")
    assert alice.iam_user_name == "alice" and alice.principals[0].kind == "user"
    assert (root.principals[0].name, root.iam_user_name) == ("root", None)


def test_failed_sign_ins_per_principal():
    events = [sign_in("Failure", False, hours_ago=h) for h in (1, 2, 3, 4, 5)]
    events.append(sign_in("Failure", False, who="bob"))
    findings = {f.iam_user_name: f for f in check(snapshot(events), "trail.failed_sign_in")}
    assert findings["alice"].severity is Severity.MEDIUM and "5 failed" in findings["alice"].title
    assert findings["bob"].severity is Severity.LOW


def denied(count: int, **fields) -> list[TrailEvent]:
    return [event("DescribeInstances", hours_ago=1 + i / 100, error_code="AccessDenied",
                  event_source="ec2.amazonaws.com", read_only=True, **fields)
            for i in range(count)]


def test_access_denied_spike_against_an_empty_baseline():
    [finding] = check(snapshot(denied(12)), "trail.access_denied_spike")
    assert "12 denied calls" in finding.detail
    assert check(snapshot(denied(5)), "trail.access_denied_spike") == []


def test_access_denied_within_the_usual_rate_is_quiet():
    alice = f"arn:aws:iam::{ACCOUNT}:user/alice"
    snap = snapshot(denied(12))
    assert check(snap, "trail.access_denied_spike", denied_baseline={alice: 70}) == []
    assert check(snap, "trail.access_denied_spike", denied_baseline={alice: 7})


def test_assumed_role_sessions_share_their_roles_baseline():
    events = denied(12, who="Deployer", kind="AssumedRole")
    [finding] = check(snapshot(events), "trail.access_denied_spike")
    assert finding.principals[0].arn == f"arn:aws:iam::{ACCOUNT}:role/Deployer"
    baseline = {f"arn:aws:iam::{ACCOUNT}:role/Deployer": 140}
    assert check(snapshot(events), "trail.access_denied_spike",
                 denied_baseline=baseline) == []


def test_iam_changes_outside_gatehouse():
    events = [
        event("CreateUser", read_only=False), event("AttachUserPolicy", read_only=False),
        event("GetUser", read_only=True), event("ListRoles"),
        event("DeleteRole", read_only=False, error_code="AccessDenied"),
        event("PutRolePolicy", who="Gatehouse", kind="AssumedRole", read_only=False),
    ]
    findings = check(snapshot(events), "trail.iam_change_outside_gatehouse",
                     gatehouse_principal_arns={GATEHOUSE_ROLE})
    [finding] = findings
    assert finding.iam_user_name == "alice"
    assert "AttachUserPolicy, CreateUser" in finding.detail and "GetUser" not in finding.detail


def test_gatehouse_changes_count_when_not_named_as_gatehouse():
    events = [event("PutRolePolicy", who="Gatehouse", kind="AssumedRole", read_only=False)]
    [finding] = check(snapshot(events), "trail.iam_change_outside_gatehouse")
    assert finding.principals[0].kind == "role" and "assumed-role" in finding.detail


def test_events_outside_the_last_day_are_ignored():
    events = [event("ListUsers", kind="Root", hours_ago=30), sign_in("Failure", False,
                                                                   hours_ago=-1)]
    assert run_checks(snapshot(events), Thresholds(), now=NOW) == []
