"""Key rotation's pure parts: the state machine, key rules, Block Kit, and its SQLite rows."""

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

import pytest

from domain.errors import UserError
from domain.iam import creates_keys_for_every_user, grants_admin
from domain.rotation import (
    MAX_POSTPONEMENTS,
    OPEN_STATES,
    TRANSITIONS,
    IllegalMove,
    KeySlotsFull,
    Rotation,
    RotationPlan,
    RotationState,
    age_text,
    describe_key,
    plan_rotation,
    postponed_until,
    transition,
    unexplained_keys,
    used_since_new_key,
)
from handlers import rotation_blocks as key_blocks
from storage.audit import AuditLog
from storage.database import open_store
from storage.rotations import RotationInProgress, RotationRepository

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@dataclass(frozen=True)
class Key:
    key_id: str
    status: str = "Active"
    created: datetime = NOW - timedelta(days=40)
    last_used: datetime | None = None
    last_used_service: str | None = None
    last_used_region: str | None = None

    @property
    def is_active(self) -> bool:
        return self.status == "Active"


def rotation(state=RotationState.DELIVERED, **fields) -> Rotation:
    base = Rotation(id=7, holder="U0DEV", requested_by="U0DEV", iam_user="dev", state=state,
                    started_at=NOW, keys_before=("AKIAOLD",), old_key_id="AKIAOLD",
                    new_key_id="AKIANEW", new_key_created=NOW, dm_channel="DU0DEV",
                    dm_ts="1.2", deactivate_at=NOW + timedelta(days=1))
    return replace(base, **fields)


def everything(blocks) -> str:
    return json.dumps(blocks)


def buttons(blocks) -> dict[str, str]:
    return {e["action_id"]: e["value"] for b in blocks if b["type"] == "actions"
            for e in b["elements"]}


# --- the state machine -----------------------------------------------------------------------

def test_every_legal_move_is_audited_as_a_key_action_and_others_are_refused():
    for source in RotationState:
        for target in RotationState:
            if target in TRANSITIONS.get(source, {}):
                moved, action = transition(rotation(source), target)
                assert moved.state is target and action.startswith("key.")
            else:
                with pytest.raises(IllegalMove):
                    transition(rotation(source), target)


def test_completed_and_failed_are_final_and_the_rest_are_open():
    assert not TRANSITIONS.get(RotationState.COMPLETED)
    assert not TRANSITIONS.get(RotationState.FAILED)
    assert OPEN_STATES == set(RotationState) - {RotationState.COMPLETED, RotationState.FAILED}
    assert TRANSITIONS[RotationState.DELIVERED][RotationState.COMPLETED] == "key.rotated"


def test_a_key_is_created_only_from_creating_and_delivered_only_once():
    with pytest.raises(IllegalMove):
        transition(rotation(RotationState.DELIVERED), RotationState.DELIVERED)
    with pytest.raises(IllegalMove):
        transition(rotation(RotationState.FAILED), RotationState.CREATED)


# --- choosing keys ---------------------------------------------------------------------------

def test_the_one_existing_key_is_retired_and_no_key_means_nothing_to_retire():
    assert plan_rotation([], "dev", NOW) == RotationPlan((), None)
    assert plan_rotation([Key("AKIAOLD")], "dev", NOW) == RotationPlan(("AKIAOLD",), "AKIAOLD")


def test_two_keys_are_refused_with_both_described_and_the_inactive_one_offered():
    used = Key("AKIAUSED", last_used=NOW - timedelta(hours=3), last_used_service="s3",
               last_used_region="eu-west-1")
    idle = Key("AKIAIDLE", status="Inactive", created=NOW - timedelta(hours=5))
    with pytest.raises(KeySlotsFull) as refused:
        plan_rotation([used, idle], "dev", NOW)
    text = str(refused.value)
    assert "`AKIAUSED` active, 40 days old, last used 2026-11-30 06:00 UTC (s3, eu-west-1)" in text
    assert "`AKIAIDLE` inactive, 5 h old, never used" in text
    assert "Delete the inactive key" in text
    assert [k.key_id for k in refused.value.inactive] == ["AKIAIDLE"]
    assert isinstance(refused.value, UserError)


def test_two_active_keys_are_refused_without_guessing():
    with pytest.raises(KeySlotsFull) as refused:
        plan_rotation([Key("AKIAA"), Key("AKIAB")], "dev", NOW)
    assert "Both are active" in str(refused.value) and not refused.value.inactive


def test_keys_a_rotation_cannot_explain_are_listed_never_picked():
    creating = rotation(RotationState.CREATING, new_key_id=None)
    newest, other = Key("AKIAORPHAN", created=NOW), Key("AKIAOTHER", created=NOW)
    found = unexplained_keys(creating, [Key("AKIAOLD"), newest, other])
    assert [key.key_id for key in found] == ["AKIAORPHAN", "AKIAOTHER"]
    assert unexplained_keys(creating, [Key("AKIAOLD")]) == []


def test_only_a_use_after_the_new_key_was_created_counts():
    current = rotation()
    assert used_since_new_key(Key("AKIAOLD", last_used=NOW + timedelta(seconds=1)), current)
    assert not used_since_new_key(Key("AKIAOLD", last_used=NOW - timedelta(seconds=1)), current)
    assert not used_since_new_key(Key("AKIAOLD"), current)


def test_postponing_adds_a_day_to_the_deadline_a_limited_number_of_times():
    current = rotation(deactivate_at=NOW + timedelta(hours=4))
    assert postponed_until(current, NOW) == NOW + timedelta(hours=28)
    late = rotation(deactivate_at=NOW - timedelta(hours=1))
    assert postponed_until(late, NOW) == NOW + timedelta(hours=24)
    with pytest.raises(UserError, match="already postponed"):
        postponed_until(replace(current, postponements=MAX_POSTPONEMENTS), NOW)


def test_ages_read_naturally():
    assert age_text(NOW - timedelta(minutes=5), NOW) == "under an hour old"
    assert age_text(NOW - timedelta(hours=3), NOW) == "3 h old"
    assert age_text(NOW - timedelta(days=1), NOW) == "1 day old"
    assert age_text(NOW + timedelta(hours=1), NOW) == "under an hour old"
    assert describe_key(Key("AKIAX", status="Inactive"), NOW).startswith("`AKIAX` inactive")


# --- Block Kit -------------------------------------------------------------------------------

def test_the_key_dm_holds_the_secret_once_with_a_stored_button():
    blocks = key_blocks.key_delivery(rotation(), SECRET, 7 * 86400)
    assert everything(blocks).count(SECRET) == 1
    assert f"aws_secret_access_key = {SECRET}" in everything(blocks)
    assert buttons(blocks) == {"key_stored": "7", "key_deactivate_now": "7"}
    assert SECRET not in key_blocks.delivery_text(rotation())
    assert "until 2026-12-01 09:00 UTC" in everything(blocks)


def test_a_first_key_has_nothing_to_retire_and_no_deactivate_button():
    first = rotation(old_key_id=None, keys_before=(), deactivate_at=None)
    blocks = key_blocks.key_delivery(first, SECRET, 7 * 86400)
    assert buttons(blocks) == {"key_stored": "7"}
    assert "nothing to retire" in everything(blocks)


def test_the_concealed_dm_has_no_secret_and_says_why():
    blocks = key_blocks.key_concealed(rotation(), "stored by its holder", 7 * 86400)
    assert SECRET not in everything(blocks) and "aws_secret_access_key" not in everything(blocks)
    assert "stored by its holder" in everything(blocks) and "AKIANEW" in everything(blocks)
    assert buttons(blocks) == {"key_deactivate_now": "7"}
    done = key_blocks.key_concealed(rotation(RotationState.COMPLETED), "x", 7 * 86400)
    assert buttons(done) == {}
    withdrawn = key_blocks.key_concealed(rotation(RotationState.CREATED), "withdrawn", 86400)
    assert "withdrawn" in everything(withdrawn) and "rotate-key" in everything(withdrawn)


def test_the_old_key_warning_names_the_use_and_offers_both_choices():
    old = Key("AKIAOLD", last_used=NOW + timedelta(hours=2), last_used_service="sts",
              last_used_region="eu-west-1")
    blocks = key_blocks.old_key_warning(rotation(), old)
    text = everything(blocks)
    assert "service `sts`" in text and "region `eu-west-1`" in text and "AKIAOLD" in text
    assert buttons(blocks) == {"key_deactivate_now": "7", "key_postpone": "7"}


def test_the_two_key_refusal_offers_one_delete_button_per_inactive_key():
    idle = [Key("AKIAIDLE1", status="Inactive"), Key("AKIAIDLE2", status="Inactive")]
    blocks = key_blocks.slots_full("two keys", "U0DEV", idle)
    values = [e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert values == ["U0DEV:AKIAIDLE1", "U0DEV:AKIAIDLE2"]
    assert len({b["block_id"] for b in blocks if b["type"] == "actions"}) == 2


def test_list_lines_and_home_show_keys_with_age_status_and_last_use():
    keys = [Key("AKIAOLD", last_used=NOW - timedelta(days=1), last_used_service="s3"),
            Key("AKIANEW", created=NOW)]
    lines = key_blocks.key_lines("dev", keys, rotation(), NOW)
    assert lines[0].startswith("• Access key `AKIAOLD` active, 40 days old, last used")
    assert "under an hour old, never used" in lines[1]
    assert "deactivated at 2026-12-01 09:00 UTC" in lines[2]
    assert "does not create a first one" in key_blocks.key_lines("dev", [], None, NOW)[0]
    assert "`/access rotate-key` creates one" in key_blocks.key_lines("dev", [], None, NOW,
                                                                      True)[0]

    @dataclass
    class Overview:
        iam_user: str
        keys: list
        rotation: Rotation | None
        first_key_allowed: bool = False

    home = key_blocks.home_section("U0DEV", Overview("dev", keys, None), NOW, tag="t")
    assert buttons(home) == {"key_rotate": "U0DEV"} and "AKIAOLD" in everything(home)
    keyless = key_blocks.home_section("U0DEV", Overview("dev", [], None), NOW, tag="t")
    assert not buttons(keyless) and "rotate-key" not in everything(keyless)
    unmapped = key_blocks.home_section("U0DEV", None, NOW, tag="slack-user-id")
    assert "`slack-user-id` = `U0DEV`" in everything(unmapped) and not buttons(unmapped)


# --- the stored rows -------------------------------------------------------------------------

@pytest.fixture
def repo(tmp_path):
    store = open_store(tmp_path / "keys.db")
    yield RotationRepository(store, AuditLog(store))
    store.close()


def test_moves_are_atomic_audited_and_refused_from_the_wrong_state(repo):
    started = repo.insert(holder="U0DEV", requested_by="U0DEV", iam_user="dev",
                          plan=RotationPlan(("AKIAOLD",), "AKIAOLD"), owner="a", now=NOW)
    assert started.state is RotationState.CREATING and started.keys_before == ("AKIAOLD",)
    created_at = NOW + timedelta(microseconds=250)
    moved = repo.move(started.id, RotationState.CREATED, actor="gatehouse", now=NOW,
                      expect=[RotationState.CREATING], new_key_id="AKIANEW",
                      new_key_created=created_at)
    assert moved.new_key_id == "AKIANEW" and moved.new_key_created == created_at
    assert repo.move(started.id, RotationState.CREATED, actor="gatehouse", now=NOW,
                     expect=[RotationState.CREATING]) is None
    entries = list(repo.audit.entries())
    assert [e.action for e in entries] == ["key.rotation_requested", "key.created"]
    assert entries[-1].details["new_key_id"] == "AKIANEW" and entries[-1].subject == "U0DEV"


def test_one_open_rotation_per_iam_user(repo):
    plan = RotationPlan((), None)
    first = repo.insert(holder="U0DEV", requested_by="U0DEV", iam_user="dev", plan=plan,
                        owner="a", now=NOW)
    with pytest.raises(RotationInProgress, match="already under way"):
        repo.insert(holder="U0DEV", requested_by="U0ADMIN", iam_user="dev", plan=plan,
                    owner="a", now=NOW)
    repo.move(first.id, RotationState.FAILED, actor="gatehouse", now=NOW)
    again = repo.insert(holder="U0DEV", requested_by="U0DEV", iam_user="dev", plan=plan,
                        owner="a", now=NOW)
    assert repo.open_for("dev").id == again.id
    assert [r.id for r in repo.undelivered()] == [again.id]


# --- what a policy allows --------------------------------------------------------------------

def allow(action, resource="*", condition=None):
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def test_admin_policies_are_star_or_iam_star_on_every_resource():
    assert grants_admin(allow("*")) and grants_admin(allow(["s3:*", "*:*"]))
    assert grants_admin(allow("IAM:*", ["*"]))
    assert not grants_admin(allow("s3:*")) and not grants_admin(allow("iam:*", "arn:aws:s3:::b"))
    assert not grants_admin({"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}})


def test_the_bots_key_policy_is_flagged_when_it_reaches_every_user():
    people = "arn:aws:iam::123456789012:user/people/*"
    tagged = {"StringEquals": {"aws:ResourceTag/slack-user-id": "${aws:PrincipalTag/x}"}}
    assert creates_keys_for_every_user([allow("iam:CreateAccessKey")])
    assert creates_keys_for_every_user([allow("iam:*")])
    assert creates_keys_for_every_user([allow(["iam:Create*"], "arn:aws:iam::1:user/*")])
    assert creates_keys_for_every_user([allow("iam:ListUsers"), allow("*")])
    assert not creates_keys_for_every_user([allow("iam:CreateAccessKey", people)])
    assert not creates_keys_for_every_user([allow("iam:CreateAccessKey", "*", tagged)])
    assert not creates_keys_for_every_user([allow("iam:ListAccessKeys")])
    assert not creates_keys_for_every_user([])
