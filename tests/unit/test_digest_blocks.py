"""Block Kit for the digest stays inside Slack's limits, escapes names and wires its buttons."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from domain.digest import (
    Acknowledgement,
    DigestInputs,
    Fix,
    GatehouseActivity,
    StoredFinding,
    assemble,
    finding_id,
)
from domain.hygiene import Finding, MissingSource, Principal, Severity
from handlers import digest_blocks as blocks
from tests.unit.hygiene_builders import NOW, snapshot

TODAY = NOW.date()


def finding(number: int, *, detail: str = "detail", severity=Severity.MEDIUM, **changes):
    who = Principal("user", f"user{number}", f"arn:aws:iam::123456789012:user/user{number}")
    return Finding("user.console_without_mfa", severity, f"user{number} signs in without MFA",
                   (who,), detail, "Enable MFA.", **changes)


def digest(findings, **changes):
    snap = snapshot(**changes.pop("snapshot", {}))
    made = assemble(snap, list(findings), DigestInputs(now=NOW, day=TODAY, owner_tag="t",
                                                       activity=GatehouseActivity(requests=2)))
    return made if not changes else made.__class__(**{**made.__dict__, **changes})


def test_summary_counts_changes_freshness_and_missing_sources():
    made = digest([finding(1, severity=Severity.CRITICAL), finding(2)], snapshot={"missing": (
        MissingSource("CloudTrail LookupEvents", "AccessDenied"),)})
    summary = blocks.summary_blocks(made)
    text = str(summary)
    assert summary[0]["type"] == "header"
    assert "2 open findings" in text and "1 critical" in text and "1 medium" in text
    assert "Missing sources: CloudTrail LookupEvents: AccessDenied" in text
    assert "2 requests" in text and "in the thread" in text
    assert blocks.summary_text(made).startswith(
        "IAM hygiene digest (INCOMPLETE: could not read CloudTrail LookupEvents): 2 open findings")
    assert "INCOMPLETE" in summary[0]["text"]["text"]


def test_details_fit_slack_limits_however_many_and_long_the_findings():
    many = [finding(n, detail="x" * 5000, severity=list(Severity)[n % 4]) for n in range(120)]
    messages = blocks.detail_messages(digest(many), limit=100)
    assert all(len(message) <= 50 for message in messages)
    sections = [b for m in messages for b in m if b["type"] == "section"]
    assert all(len(b["text"]["text"]) <= 3000 for b in sections)
    shown = [b for b in sections if b.get("block_id", "").startswith("finding-")]
    assert len(shown) == 120 and len(messages) >= 5
    ids = [b["block_id"] for m in messages for b in m if b.get("block_id")]
    assert len(ids) == len(set(ids)) == 240
    for message in messages:  # a finding and its buttons stay in one message
        ids = [b["block_id"] for b in message if b.get("block_id")]
        assert len([i for i in ids if i.startswith("finding-actions-")]) == len(
            [i for i in ids if not i.startswith("finding-actions-")])


def test_a_huge_digest_is_cut_with_a_pointer_to_the_full_text():
    messages = blocks.detail_messages(digest([finding(n) for n in range(400)]))
    assert len(messages) == blocks.MAX_DETAIL_MESSAGES
    assert "more findings not shown" in str(messages[-1])
    assert "digest --print" in str(messages[-1])


def test_names_from_aws_are_escaped_and_owners_mentioned():
    odd = Finding("trail.failed_sign_in", Severity.LOW, "3 failed sign-in(s) for <!channel>",
                  (Principal("user", "<!channel>", ""),), "from <@U0BOSS>", "Check.")
    owned = finding(1)
    made = digest([odd, owned], owners={owned.key: "U0DEV"})
    text = str(blocks.detail_messages(made))
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text and "<@U0BOSS>" not in text
    assert "Owner: <@U0DEV>" in text


def test_fix_buttons_carry_ids_and_ask_for_confirmation():
    key, password = finding(1, subject="access_key_2"), finding(2)
    fixes = {key.key: Fix("deactivate_key", "user1", 2, NOW - timedelta(days=200),
                          finding_id(key.key)),
             password.key: Fix("remove_password", "user2", fid=finding_id(password.key))}
    made = digest([key, password], fixes=fixes)
    elements = [e for m in blocks.detail_messages(made) for b in m if b["type"] == "actions"
                for e in b["elements"]]
    by_action = {e["action_id"]: e for e in elements}
    deactivate = by_action[blocks.ACTION_DEACTIVATE_KEY]
    stamp = int((NOW - timedelta(days=200)).timestamp())
    assert deactivate["value"] == f"{finding_id(key.key)}|{stamp}"
    assert deactivate["confirm"]["confirm"]["text"] == "Deactivate"
    assert "Only Gatehouse admins" in deactivate["confirm"]["text"]["text"]
    assert by_action[blocks.ACTION_REMOVE_PASSWORD]["value"] == finding_id(password.key)
    assert "confirm" in by_action[blocks.ACTION_REMOVE_PASSWORD]
    acks = [e["value"] for e in elements if e["action_id"] == blocks.ACTION_ACKNOWLEDGE]
    assert acks == [finding_id(key.key), finding_id(password.key)]


def test_resolved_and_acknowledged_lists():
    gone = StoredFinding("k", "role.unused", Severity.LOW, "Role old is unused")
    hidden = finding(3)
    ack = Acknowledgement(hidden.key, TODAY + timedelta(days=9), "U0ADMIN", NOW)
    made = digest([], resolved=(gone,), acknowledged=((hidden, ack),))
    text = str(blocks.detail_messages(made))
    assert "Resolved since the previous digest" in text and "Role old is unused" in text
    assert f"accepted until {TODAY + timedelta(days=9):%Y-%m-%d} by <@U0ADMIN>" in text


def test_nothing_to_fix_still_posts_a_thread_line():
    assert "Nothing to fix today." in str(blocks.detail_messages(digest([])))


def test_the_acknowledge_modal_asks_for_a_date():
    stored = StoredFinding("k", "role.unused", Severity.LOW, "Role <x> is unused")
    modal = blocks.ack_modal(stored, TODAY)
    assert modal["callback_id"] == blocks.ACK_MODAL and modal["private_metadata"] == stored.fid
    picker = next(b for b in modal["blocks"] if b.get("block_id") == "until")["element"]
    assert picker["type"] == "datepicker"
    assert picker["initial_date"] == (TODAY + timedelta(days=30)).isoformat()
    assert "&lt;x&gt;" in str(modal) and len(modal["title"]["text"]) <= 24


def test_home_section_shows_the_latest_headline():
    summary = {"open": 3, "new": 1, "resolved": 2, "acknowledged": 0, "missing": ["S3: x"],
               "by_severity": {"critical": 1, "high": 0, "medium": 2, "low": 0}}
    home = blocks.home_blocks(NOW, summary, "C0HYGIENE")
    text = str(home)
    assert "3 open findings (1 critical, 2 medium)" in text and "<#C0HYGIENE>" in text
    assert "1 new, 2 resolved" in text and "Missing sources: S3: x" in text


def test_mrkdwn_marks_in_finding_text_are_kept_as_written():
    marked = Finding("policy.admin", Severity.HIGH, "Policy grants *:*",
                     (Principal("user", "ci_bot", ""),), "ci_bot holds full admin (*:*).",
                     "Replace *:* with the actions ci_bot needs; see ~/notes.")
    text = blocks.finding_text(marked, digest([marked]))
    assert "`*:*`" in text and "(`*:*`)." in text and "`ci_bot`" in text
    assert "`~/notes`." in text
    assert blocks.literal("a `tick` <b>") == "a 'tick' &lt;b&gt;"


def test_a_digest_that_read_nothing_never_looks_clean():
    made = replace(digest([]), nothing_read=True, missing=("IAM GetCredentialReport: no creds",),
                   unread=("IAM GetCredentialReport",))
    summary = str(blocks.summary_blocks(made))
    assert "NOTHING CHECKED" in summary and "nothing to fix" not in summary.lower()
    assert "no source could be read" in blocks.summary_text(made)
    assert "Nothing to fix" not in str(blocks.detail_messages(made))
    home = str(blocks.home_blocks(NOW, {"open": 0, "nothing_read": True, "missing": ["x: y"]},
                                  "C0H"))
    assert "no source could be read" in home
