"""The Extend button and what an approved extension tells its holder, over signed HTTP."""

from __future__ import annotations

import logging

import pytest

from tests.e2e.conftest import APPROVALS, DEV, LEAD, base_config


@pytest.fixture
def config():
    config = base_config()
    config["roles"]["dev"]["max_total"] = "2h"
    return config


def approve(gh, number):
    gh.client.click(LEAD, "approve", str(number), message=gh.request_message(number, APPROVALS))
    gh.idle()


def credentials_dm(gh):
    return next(m for m in gh.dms(DEV) if "credentials for" in (m.text or ""))


def test_extend_on_an_ended_grant_is_refused_on_the_click(gatehouse, caplog):
    gh = gatehouse
    number = gh.file(DEV, "request dev 1h x")
    approve(gh, number)
    dm = credentials_dm(gh)
    with caplog.at_level(logging.WARNING, logger="gatehouse.handlers"):
        gh.client.click(DEV, "extend_open", str(number), message=dm)
        gh.slack.wait_for(lambda: gh.slack.views(DEV))
        gh.idle()
    assert not [r for r in caplog.records if "could not deliver a reply" in r.getMessage()]
    gh.command(DEV, f"revoke R-{number}")
    gh.idle()
    opened = len(gh.slack.views(DEV))
    gh.client.click(DEV, "extend_open", str(number), message=dm)
    gh.answer(DEV, "not an active grant")
    assert len(gh.slack.views(DEV)) == opened


def test_an_approved_extension_posts_a_new_dm_line_with_the_new_end(gatehouse):
    gh = gatehouse
    number = gh.file(DEV, "request dev 1h x")
    approve(gh, number)
    gh.clock.advance(minutes=40)
    gh.command(DEV, f"extend R-{number} 30m more")
    gh.answer(DEV, f"more on R-{number}")
    approve(gh, number + 1)
    ends = gh.runtime.requests.grant(gh.runtime.requests.get(number).grant_id).ends_at
    last = gh.dms(DEV)[-1].text
    assert f"now ends at {ends:%Y-%m-%d %H:%M}" in last and f"R-{number + 1}" in last


def test_an_extension_past_max_total_is_refused_in_words(gatehouse):
    gh = gatehouse
    number = gh.file(DEV, "request dev 1h30m x")
    approve(gh, number)
    gh.command(DEV, f"extend R-{number} 1h more")
    answer = gh.answer(DEV, "in all")
    assert "2h" in answer and "at most 30m" in answer
    assert [r.id for r in gh.runtime.requests.requests_where("kind='extend'")] == []
