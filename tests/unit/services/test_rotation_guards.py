"""Whose key Gatehouse makes, first keys, revived old keys and stale buttons, on fast fakes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import UserError
from domain.iam import AccessKey
from domain.rotation import RotationState
from tests.unit.services.test_rotation_use_cases import ADMIN, DEV, NOW, OTHER, Rig


def old_key() -> AccessKey:
    return AccessKey("AKIAOLD", "Active", NOW - timedelta(days=90))


@pytest.fixture
def rig(tmp_path):
    made = Rig(tmp_path / "g.db")
    made.iam.add_user("dev", DEV, old_key())
    made.iam.add_user("root-admin", "U0NOBODY", AccessKey("AKIAADMIN", "Active", NOW),
                      admin_via=("managed policy AdministratorAccess attached directly",))
    yield made
    made.store.close()


# --- the mapping -----------------------------------------------------------------------------

def test_a_moved_tag_makes_no_key_until_an_admin_approves(rig):
    rig.commands.request(DEV, DEV, NOW)  # the first mapping, dev, is recorded
    rig.iam.move_tag(DEV, "root-admin")
    with pytest.raises(UserError, match="waits for a Gatehouse admin's approval") as refusal:
        rig.commands.request(DEV, DEV, NOW)
    assert "`dev`" in str(refusal.value) and "`root-admin`" in str(refusal.value)
    assert rig.iam.key_ids("root-admin") == {"AKIAADMIN": "Active"}
    (change,) = rig.messages.approvals
    with pytest.raises(UserError, match="waits for"):
        rig.commands.request(DEV, DEV, NOW)
    assert len(rig.messages.approvals) == 1, "asked once, not at every attempt"
    assert rig.actions()[0] == "key.mapping_recorded"
    assert "key.mapping_change_requested" in rig.actions()

    with pytest.raises(UserError, match="Only Gatehouse admins"):
        rig.commands.decide_mapping(change.id, True, DEV, NOW)
    assert "Denied" in rig.commands.decide_mapping(change.id, False, ADMIN, NOW)
    assert "key.mapping_refused" in rig.actions()
    assert any("refused" in text for text in rig.notices.texts_to(DEV))
    with pytest.raises(UserError, match="refused that change"):
        rig.commands.request(DEV, DEV, NOW)
    with pytest.raises(UserError, match="already denied"):
        rig.commands.decide_mapping(change.id, True, ADMIN, NOW)
    assert rig.iam.key_ids("root-admin") == {"AKIAADMIN": "Active"}


def test_an_approved_change_moves_the_mapping(rig):
    rig.commands.request(DEV, DEV, NOW)
    rig.iam.add_user("dev-new", "U0SPARE", AccessKey("AKIADEVNEW", "Active", NOW))
    rig.iam.move_tag(DEV, "dev-new")
    with pytest.raises(UserError, match="waits for"):
        rig.commands.request(DEV, DEV, NOW + timedelta(days=9))
    (change,) = rig.messages.approvals
    rig.commands.decide_mapping(change.id, True, ADMIN, NOW)
    assert rig.messages.decisions[0].status.value == "approved"
    assert "AKIANEW" in rig.commands.request(DEV, DEV, NOW + timedelta(days=9))
    assert "key.mapping_changed" in rig.actions()


def test_an_iam_user_recorded_for_someone_else_is_not_taken_over_silently(rig):
    rig.commands.request(DEV, DEV, NOW)
    rig.iam.move_tag(OTHER, "dev")  # the tag on dev now names OTHER
    with pytest.raises(UserError, match="recorded as <@U0DEV>'s"):
        rig.commands.request(OTHER, OTHER, NOW)
    assert len(rig.messages.approvals) == 1


# --- administrators and protected users -------------------------------------------------------

def test_administrators_get_no_key_unless_the_config_allows_it(tmp_path, rig):
    rig.iam.move_tag(OTHER, "root-admin")  # a first mapping, but to an administrator
    with pytest.raises(UserError, match="AdministratorAccess") as refusal:
        rig.commands.request(OTHER, OTHER, NOW)
    assert "keys.allow_admin_keys" in str(refusal.value)
    assert rig.iam.key_ids("root-admin") == {"AKIAADMIN": "Active"}

    allowed = Rig(tmp_path / "allowed.db", iam=rig.iam, allow_admin_keys=True)
    assert "AKIANEW1" in allowed.commands.request(OTHER, OTHER, NOW)
    allowed.store.close()


def test_a_protected_user_gets_no_key(tmp_path, rig):
    protected = Rig(tmp_path / "p.db", iam=rig.iam, protected_users=["dev"])
    with pytest.raises(UserError, match="keys.protected_users"):
        protected.commands.request(DEV, DEV, NOW)
    assert rig.iam.key_ids("dev") == {"AKIAOLD": "Active"}
    protected.store.close()


# --- first keys ------------------------------------------------------------------------------

def test_a_first_key_is_refused_unless_the_config_allows_it(tmp_path, rig):
    rig.iam.add_user("keyless", "U0KEYLESS")
    with pytest.raises(UserError, match="keys.allow_first_key") as refusal:
        rig.commands.request("U0KEYLESS", "U0KEYLESS", NOW)
    assert "nothing to rotate" in str(refusal.value) and rig.iam.key_ids("keyless") == {}
    assert rig.commands.overview("U0KEYLESS", NOW).first_key_allowed is False

    allowed = Rig(tmp_path / "first.db", iam=rig.iam, allow_first_key=True)
    assert "no old key" in allowed.commands.request("U0KEYLESS", "U0KEYLESS", NOW)
    allowed.store.close()


# --- the key DM exists before the key ----------------------------------------------------------

def test_no_dm_means_no_key(rig):
    rig.messages.fail_announce = True
    with pytest.raises(UserError, match="no key was created"):
        rig.commands.request(DEV, DEV, NOW)
    assert rig.iam.created == 0 and rig.iam.key_ids("dev") == {"AKIAOLD": "Active"}
    assert rig.rotations.get(1).state is RotationState.FAILED


# --- the old key after the rotation -----------------------------------------------------------

def test_an_old_key_made_active_again_by_hand_is_not_deleted_but_asked_about(rig):
    rig.commands.request(DEV, DEV, NOW)
    rig.run_due(NOW + timedelta(hours=24))
    assert rig.iam.key_ids("dev")["AKIAOLD"] == "Inactive"
    rig.iam.set_key_status("dev", "AKIAOLD", True)  # someone, by hand
    rig.run_due(NOW + timedelta(days=8))
    assert rig.iam.key_ids("dev")["AKIAOLD"] == "Active"
    assert sorted(user for _, user in rig.messages.asked) == [ADMIN, DEV]
    assert "key.old_key_reactivated" in rig.actions()
    rig.run_due(NOW + timedelta(days=9))
    assert len(rig.messages.asked) == 2, "asked once"

    with pytest.raises(UserError, match="Only the key's holder"):
        rig.commands.delete_old(1, OTHER, NOW)
    assert "Kept" in rig.commands.keep_old(1, DEV, NOW + timedelta(days=9))
    assert rig.iam.key_ids("dev")["AKIAOLD"] == "Active"
    assert rig.rotations.get(1).state is RotationState.COMPLETED
    assert "key.old_key_kept" in rig.actions()


def test_delete_now_after_the_question_deletes_only_the_recorded_old_key(rig):
    rig.commands.request(DEV, DEV, NOW)
    rig.run_due(NOW + timedelta(hours=24))
    rig.iam.set_key_status("dev", "AKIAOLD", True)
    rig.run_due(NOW + timedelta(days=8))
    assert "is deleted" in rig.commands.delete_old(1, ADMIN, NOW + timedelta(days=8))
    assert rig.iam.key_ids("dev") == {"AKIANEW1": "Active"}
    with pytest.raises(UserError, match="no longer waiting"):
        rig.commands.keep_old(1, DEV, NOW + timedelta(days=8))


def test_the_old_key_warning_and_key_dm_lose_their_buttons_once_it_is_inactive(rig):
    rig.commands.request(DEV, DEV, NOW)
    rig.commands.stored(1, DEV, NOW)
    rig.iam.keys["dev"][0] = AccessKey("AKIAOLD", "Active", NOW - timedelta(days=90),
                                       last_used=NOW + timedelta(hours=1))
    rig.run_due(NOW + timedelta(hours=24))
    assert rig.messages.warned == [1] and rig.rotations.get(1).warning_ts == "w1"
    rig.commands.deactivate_now(1, DEV, NOW + timedelta(hours=25))
    assert rig.messages.settled == [1]
    assert rig.messages.concealed[-1] == (1, None)  # re-rendered without the button
    rig.run_due(NOW + timedelta(days=9))
    assert rig.messages.settled == [1, 1]  # and again once the key is gone
