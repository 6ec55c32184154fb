"""App Home end to end: published on open and on every change, clickable, extensible."""

import json

from fake_services.slack_signing import JSON
from tests.e2e.conftest import ADMIN, DEV, LEAD, OTHER
from tests.e2e.test_access_flow import file_request


def home_text(gh, user) -> str:
    home = gh.slack.home(user)
    return str(home.blocks) if home else ""


def wait_home(gh, user, contains, absent=None):
    """Wait until the user's published Home shows `contains` (and not `absent`)."""
    def shown():
        text = home_text(gh, user)
        return contains in text and (absent is None or absent not in text)
    gh.slack.wait_for(shown, timeout=5)
    return gh.slack.home(user)


def action_ids(view) -> list[str]:
    return [e.get("action_id") for b in view.blocks for e in b.get("elements", [])
            if isinstance(e, dict)]


def test_opening_the_home_publishes_it_with_empty_states(gatehouse):
    gh = gatehouse
    response = gh.client.app_home_opened(OTHER)
    assert response.status_code == 200
    gh.idle()
    home = wait_home(gh, OTHER, "Your active access")
    text = str(home.blocks)
    assert "No active access" in text and "Nothing pending" in text
    assert "Waiting for your decision" not in text
    gh.client.app_home_opened(LEAD)
    gh.idle()
    assert "Nothing waits for you" in home_text(gh, LEAD)


def test_request_approve_and_revoke_from_the_home(gatehouse):
    gh = gatehouse
    number = file_request(gh)
    gh.idle()
    requester_home = wait_home(gh, DEV, f"R-{number}")
    assert "cancel_request" in action_ids(requester_home)
    approver_home = wait_home(gh, LEAD, "Waiting for your decision")
    assert f"R-{number}" in str(approver_home.blocks)
    assert {"approve", "deny"} <= set(action_ids(approver_home))

    gh.client.click_in_view(LEAD, "approve", str(number), view=approver_home)
    gh.wait_status(number, "active")
    gh.idle()
    wait_home(gh, LEAD, f"You approved R-{number}", absent="'action_id': 'approve'")
    grant_home = wait_home(gh, DEV, "Your active access", absent="cancel_request")
    assert "prod-readonly" in str(grant_home.blocks)
    assert {"revoke", "extend_open"} <= set(action_ids(grant_home))

    gh.client.click_in_view(DEV, "extend_open", str(number), view=grant_home)
    gh.slack.wait_for(lambda: [v for v in gh.slack.views(DEV) if v.callback_id == "extend_modal"])

    gh.client.click_in_view(DEV, "revoke", str(number), view=grant_home)
    gh.wait_status(number, "revoked")
    gh.idle()
    home = wait_home(gh, DEV, "is revoked")
    assert "No active access" in str(home.blocks)
    assert "AWS_SECRET_ACCESS_KEY" not in str(gh.dms(DEV)[-1].blocks)


def test_refusals_on_the_home_are_shown_there(gatehouse):
    gh = gatehouse
    number = file_request(gh, text="request prod-admin 1h migration")
    gh.idle()
    home = wait_home(gh, LEAD, f"R-{number}")
    gh.client.click_in_view(LEAD, "approve", str(number), view=home)
    gh.idle()
    home = wait_home(gh, LEAD, "You approved · 1 of 2")
    assert "approve" not in action_ids(home)
    assert "approve" in action_ids(wait_home(gh, ADMIN, f"R-{number}"))
    gh.client.click_in_view(LEAD, "approve", str(number), view=home, block_id="decide-x")
    gh.idle()
    wait_home(gh, LEAD, "already approved")
    assert gh.status(number) == "pending"


def test_cancel_from_the_home_updates_the_approvers_home(gatehouse):
    gh = gatehouse
    number = file_request(gh, text="request dev 1h check logs")
    gh.idle()
    wait_home(gh, LEAD, f"R-{number}")
    home = wait_home(gh, DEV, f"R-{number}")
    gh.client.click_in_view(DEV, "cancel_request", str(number), view=home)
    gh.wait_status(number, "cancelled")
    gh.idle()
    wait_home(gh, DEV, "is cancelled")
    wait_home(gh, LEAD, "Nothing waits for you")
    gh.client.click_in_view(OTHER, "cancel_request", str(number), view=home)
    gh.idle()
    wait_home(gh, OTHER, "not yours")


def test_grant_expiry_in_the_sweep_republishes_the_home(gatehouse):
    gh = gatehouse
    number = file_request(gh, text="request sandbox 30m try things")
    gh.wait_status(number, "active")
    gh.idle()
    wait_home(gh, DEV, f"*R-{number}* · `sandbox`")
    gh.clock.advance(minutes=31)
    gh.gh.sweep()
    gh.idle()
    wait_home(gh, DEV, "No active access")


def test_feature_sections_are_shown_and_a_failing_one_is_contained(gatehouse):
    gh = gatehouse
    sections = gh.runtime.home.sections

    def keys(user):
        return [{"type": "section", "text": {"type": "mrkdwn", "text": f"*Your keys* {user}"}}]

    def broken(user):
        raise RuntimeError("boom")
    sections.extend([keys, broken])
    gh.client.app_home_opened(DEV)
    gh.idle()
    text = home_text(gh, DEV)
    assert f"*Your keys* {DEV}" in text
    assert "could not be loaded" in text and "Your active access" in text


def test_unknown_home_tab_and_messages_tab_are_ignored(gatehouse):
    gh = gatehouse
    body = {"token": "t", "team_id": "T0GATEHOUSE", "api_app_id": "A0GATEHOUSE",
            "type": "event_callback", "event_id": "Ev1", "event_time": 1,
            "event": {"type": "app_home_opened", "user": DEV, "channel": "DU0DEV",
                      "tab": "messages"}}
    response = gh.client.send(json.dumps(body), JSON)
    assert response.status_code == 200
    gh.idle()
    assert gh.slack.home(DEV) is None
