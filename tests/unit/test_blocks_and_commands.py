"""Block Kit builders and the command parser: pure, and within Slack's limits."""

from datetime import datetime, timedelta, timezone

import pytest

from domain.errors import UserError
from domain.requests import AccessRequest, Grant, Kind, Status
from handlers import blocks, commands, views
from handlers.commands import USAGE

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


def request(status=Status.PENDING, reason="deploy <!channel> & fix"):
    return AccessRequest(id=42, kind=Kind.ACCESS, requester="U0DEV", role="prod", reason=reason,
                         duration_seconds=5400, status=status, created_at=NOW,
                         approvals_required=2, decided_by="U0LEAD", decided_at=NOW)


def grant():
    return Grant(id=1, request_id=42, requester="U0DEV", role="prod",
                 role_arn="arn:aws:iam::123456789012:role/P", started_at=NOW,
                 ends_at=NOW + timedelta(hours=1), source_identity="dev@example.com",
                 session_name="gatehouse-U0DEV-R42")


def elements(message):
    return [e for b in message if b["type"] == "actions" for e in b["elements"]]


def test_pending_request_has_buttons_carrying_the_id_and_escapes_user_text():
    message = blocks.request_message(request(), description="Prod", approvals=["U0LEAD"],
                                     deciders=["U0LEAD", "U0ADMIN"])
    assert [(e["action_id"], e["value"]) for e in elements(message)] == [
        ("approve", "42"), ("deny", "42")]
    text = str(message)
    assert "deploy &lt;!channel&gt; &amp; fix" in text and "<!channel>" not in text
    assert "1 of 2 approvals" in text and "1h30m" in text


@pytest.mark.parametrize("status", [s for s in Status if s is not Status.PENDING])
def test_decided_requests_have_no_buttons(status):
    message = blocks.request_message(request(status), description="", approvals=[], deciders=[])
    assert elements(message) == []
    assert blocks.STATUS_WORDS[status] in str(message)


def test_long_text_stays_within_section_limits():
    message = blocks.request_message(request(reason="x" * 5000), description="", approvals=[],
                                     deciders=[])
    for block in message:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000


def test_credentials_message_and_its_scrubbed_replacement():
    shown = blocks.credentials_message(request(Status.ACTIVE), grant(), access_key_id="ASIAX",
                                       secret_access_key="SECRETVALUE", session_token="TOKENVALUE",
                                       console_url="https://signin/x?SigninToken=T", note=None)
    assert "SECRETVALUE" in str(shown) and "TOKENVALUE" in str(shown)
    gone = blocks.credentials_removed(request(Status.EXPIRED), grant(), "expired")
    assert "SECRETVALUE" not in str(gone) and "SigninToken" not in str(gone)
    assert "removed" in str(gone)


def test_request_modal_offers_every_role_within_slack_limits():
    from config import load_config
    config = load_config("gatehouse.example.yml")
    modal = views.request_modal(config, "C0TEAM")
    options = modal["blocks"][0]["element"]["options"]
    assert [o["value"] for o in options] == sorted(config.roles)
    assert len(modal["title"]["text"]) <= 24 and modal["private_metadata"] == "C0TEAM"


@pytest.mark.parametrize("text,name,args", [
    ("", "help", ()), ("help", "help", ()), ("LIST", "list", ()),
    ("request prod 1h fix it now", "request", ("prod", "1h", "fix", "it", "now")),
])
def test_parse(text, name, args):
    parsed = commands.parse(text)
    assert parsed.name == name and parsed.args == args


def test_request_args_keep_the_reason_as_typed():
    parsed = commands.parse("request Prod 1h30m fix   the <thing>")
    assert commands.request_args(parsed) == ("prod", 5400, "fix   the <thing>")


def test_unknown_subcommand_lists_the_real_ones_and_escapes():
    with pytest.raises(UserError) as caught:
        commands.parse("<!here>")
    assert "&lt;!here&gt;" in str(caught.value) and "/access request" in str(caught.value)


def test_audit_args():
    parsed = commands.parse("audit <@U0DEV|dev> prod 30")
    assert commands.audit_args(parsed) == ("U0DEV", "prod", 30)
    with pytest.raises(UserError, match="between 1 and 365"):
        commands.audit_args(commands.parse("audit 999"))


def test_help_and_readme_name_every_subcommand():
    help_text = commands.help_text(["prod"])
    readme = open("README.md").read()
    for name in USAGE:
        assert f"/access {name}" in help_text
        assert f"/access {name}" in readme, f"README does not document /access {name}"
