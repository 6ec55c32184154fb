"""The credentials DM fits every Block Kit limit for the longest secrets AWS hands out."""

from __future__ import annotations

import re
import secrets
import string

import pytest
from slack_sdk.models.blocks import Block

from domain.requests import Status
from handlers import blocks
from tests.unit.test_blocks_and_commands import grant, request

ALPHABET = string.ascii_letters + string.digits + "/+="
KEY_ID, SECRET_KEY = "ASIAEXAMPLEEXAMPLE12", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def token(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def message(session_token: str, console_url: str | None):
    return blocks.credentials_message(request(Status.ACTIVE), grant(), access_key_id=KEY_ID,
                                      secret_access_key=SECRET_KEY, session_token=session_token,
                                      console_url=console_url, note="clipped to the window")


def assert_valid(shown) -> None:
    assert len(shown) <= 50
    for block in shown:
        Block.parse(block).validate_json()  # raises on any length or shape Slack refuses
        if block.get("text"):
            assert len(block["text"]["text"]) <= 3000
        for element in block.get("elements", []):
            assert len(element.get("url", "")) <= 3000


def texts(shown) -> list[str]:
    return [b["text"]["text"] for b in shown if b["type"] == "section" and "text" in b]


def token_from(shown) -> str:
    """Join what a user copies: the code in every section, in order, after the export."""
    code = "".join(c for text in texts(shown) for c in re.findall(r"```(.*?)```", text, re.S))
    return code.split("export AWS_SESSION_TOKEN=", 1)[1]


@pytest.mark.parametrize("length", [800, 2900, 4000, 12000])
def test_a_long_session_token_arrives_whole_in_valid_blocks(length):
    session_token = token(length)
    shown = message(session_token, "https://signin.aws.amazon.com/federation?SigninToken=x")
    assert_valid(shown)
    assert token_from(shown) == session_token
    assert any(SECRET_KEY in text and KEY_ID in text for text in texts(shown))
    assert "…" not in "".join(texts(shown))


def test_a_console_link_over_3000_characters_is_not_put_in_a_button():
    url = "https://signin.aws.amazon.com/federation?Action=login&SigninToken=" + "t" * 5000
    shown = message(token(4000), url)
    assert_valid(shown)
    assert url[-100:] not in str(shown), "no part of a cut link is shown"
    assert "use the CLI" in str(shown)


def test_a_console_link_within_the_limit_is_a_button():
    url = "https://signin.aws.amazon.com/federation?Action=login&SigninToken=" + "t" * 2900
    shown = message(token(800), url[:3000])
    assert_valid(shown)
    [link] = [e for b in shown if b["type"] == "actions" for e in b["elements"] if "url" in e]
    assert link["url"] == url[:3000]
