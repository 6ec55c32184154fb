"""The pre-expiry warning over signed HTTP: its Extend button goes once the grant moves on."""

from __future__ import annotations

import json

from tests.e2e.conftest import DEV


def warned_grant(gh):
    """A live grant whose holder was just warned; (its number, the warning as first sent)."""
    number = gh.file(DEV, "request sandbox 30m check the logs")  # sandbox auto-approves
    gh.wait_status(number, "active")
    gh.idle()
    gh.clock.advance(minutes=16)
    gh.gh.sweep()
    gh.idle()
    sent = next(m for m in gh.dms(DEV) if "ends in" in (m.text or ""))
    assert "extend_open" in json.dumps(sent.blocks)
    return number, sent


def test_an_extension_replaces_the_warning_and_its_button(gatehouse):
    gh = gatehouse
    number, sent = warned_grant(gh)
    gh.command(DEV, f"extend R-{number} 15m a little longer")
    gh.slack.wait_for(lambda: "extended" in (gh.current(sent).text or "") or None)
    gh.idle()
    shown = gh.current(sent)
    assert "extend_open" not in json.dumps(shown.blocks)
    assert "now ends at" in json.dumps(shown.blocks)


def test_a_revoke_replaces_the_warning_and_its_button(gatehouse):
    gh = gatehouse
    number, sent = warned_grant(gh)
    gh.command(DEV, f"revoke R-{number}")
    gh.slack.wait_for(lambda: "revoked" in (gh.current(sent).text or "") or None)
    gh.idle()
    assert "extend_open" not in json.dumps(gh.current(sent).blocks)


def test_expiry_replaces_the_warning_and_its_button(gatehouse):
    gh = gatehouse
    _, sent = warned_grant(gh)
    gh.clock.advance(minutes=20)
    gh.gh.sweep()
    gh.idle()
    shown = gh.current(sent)
    assert "extend_open" not in json.dumps(shown.blocks) and "expired" in (shown.text or "")
