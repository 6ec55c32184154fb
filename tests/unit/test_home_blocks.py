"""The App Home builders: what each user sees, ids in button values, Slack's limits."""

from datetime import datetime, timedelta, timezone

from domain.requests import AccessRequest, Grant, Kind, Status
from handlers.home_blocks import MAX_BLOCKS, Decision, HomeContent, home_view

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


def request(number, **overrides):
    values = dict(id=number, kind=Kind.ACCESS, requester="U0DEV", role="prod-readonly",
                  duration_seconds=3600, reason="look at <!channel> logs",
                  status=Status.PENDING, created_at=NOW, approvals_required=2)
    values.update(overrides)
    return AccessRequest(**values)


def grant(number):
    return Grant(id=number, request_id=number, requester="U0DEV", role="prod-readonly",
                 role_arn="arn:aws:iam::123456789012:role/ProdReadOnly", started_at=NOW,
                 ends_at=NOW + timedelta(minutes=45), source_identity="dev@example.com",
                 session_name="s")


def buttons(view):
    return [(e["action_id"], e["value"]) for b in view["blocks"] for e in b.get("elements", [])
            if e.get("type") == "button"]


def test_empty_home_for_someone_who_decides_nothing():
    view = home_view(HomeContent(user="U0DEV", now=NOW))
    assert view["type"] == "home"
    text = str(view["blocks"])
    assert "No active access" in text and "Nothing pending" in text
    assert "Waiting for your decision" not in text
    assert buttons(view) == []


def test_grants_pending_and_decisions_carry_ids_in_values():
    view = home_view(HomeContent(
        user="U0LEAD", now=NOW, grants=[(request(1, status=Status.ACTIVE), grant(1))],
        pending=[request(2)], decisions=[Decision(request(3), ("U0ADMIN",))], decides=True,
        notice="You approved R-9."))
    assert buttons(view) == [("extend_open", "1"), ("revoke", "1"), ("cancel_request", "2"),
                             ("approve", "3"), ("deny", "3")]
    text = str(view["blocks"])
    assert "45m left" in text and "1 of 2 approvals" in text and "You approved R-9." in text
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    revoke = next(e for b in view["blocks"] for e in b.get("elements", [])
                  if e.get("action_id") == "revoke")
    assert revoke["style"] == "danger" and revoke["confirm"]["confirm"]["text"] == "Revoke"


def test_a_decision_already_voted_on_has_no_buttons():
    view = home_view(HomeContent(user="U0LEAD", now=NOW, decides=True,
                                 decisions=[Decision(request(3), ("U0LEAD",))]))
    assert buttons(view) == []
    assert "You approved · 1 of 2 approvals" in str(view["blocks"])


def test_extension_and_key_requests_are_described():
    extension = request(4, kind=Kind.EXTEND, parent_id=1, duration_seconds=1800)
    key = request(5, kind=Kind.KEY, role="access-key", target_user="U0DEV", duration_seconds=0)
    text = str(home_view(HomeContent(user="U0DEV", now=NOW, pending=[extension, key]))["blocks"])
    assert "30m more on R-1" in text and "a new access key for <@U0DEV>" in text


def test_long_lists_and_big_sections_stay_within_slack_limits():
    many = [request(n) for n in range(1, 40)]
    extra = [[{"type": "divider"}] * 30, [{"type": "divider"}] * 30]
    view = home_view(HomeContent(user="U0LEAD", now=NOW, pending=many, decides=True,
                                 decisions=[Decision(r) for r in many], sections=extra))
    assert len(view["blocks"]) == MAX_BLOCKS
    text = str(view["blocks"])
    assert "24 more not shown here" in text and "did not fit" in text
