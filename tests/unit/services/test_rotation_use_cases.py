"""Key rotation's use cases on a real SQLite store and in-memory IAM and Slack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from config import parse_config
from domain.errors import UserError
from domain.iam import AccessKey
from domain.jobs import JobKind
from domain.rotation import RotationState
from services.rotation.commands import RotationCommands
from services.rotation.issuing import UNDELIVERABLE, KeyIssuer
from services.rotation.mapping import KeyMappingGuard
from services.rotation.recovery import KeyRecovery
from services.rotation.retiring import KeyRetirer
from storage.audit import AuditLog
from storage.database import open_store
from storage.jobs import JobQueue
from storage.key_mappings import KeyMappingRepository
from storage.repository import Repository
from storage.rotations import KeyRequests, RotationRepository
from tests.unit.services.fakes import (
    SECRET,
    FakeAnnouncer,
    FakeIam,
    FakeKeyMessages,
    FakeNotices,
)
from wiring.rotation import rotation_settings

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
DEV, ADMIN, OTHER = "U0DEV", "U0ADMIN", "U0OTHER"


def settings(**keys):
    return rotation_settings(parse_config({
        "admins": [ADMIN], "approvals_channel": "C0APPROVALS",
        "roles": {"ops": {"arn": "arn:aws:iam::123456789012:role/Ops", "max_duration": "1h"}},
        "keys": keys}))


class Rig:
    """The rotation assembled as the wiring does, with fakes for IAM and Slack."""

    def __init__(self, path, owner: str = "this-run", iam: FakeIam | None = None,
                 notices: FakeNotices | None = None, **keys) -> None:
        self.store = open_store(path)
        self.audit = AuditLog(self.store)
        self.repo = Repository(self.store, self.audit)
        self.jobs = JobQueue(self.store)
        self.rotations = RotationRepository(self.store, self.audit)
        self.iam, self.notices = iam or FakeIam(NOW), notices or FakeNotices()
        self.messages = FakeKeyMessages()
        self.announcer = FakeAnnouncer()
        config = settings(**keys)
        self.recovery = KeyRecovery(self.rotations, self.iam, self.repo, self.notices, self.jobs,
                                    self.store, owner, self.messages, config.admins)
        self.retirer = KeyRetirer(self.rotations, self.iam, self.messages, self.notices,
                                  self.jobs, self.store, config)
        self.mappings = KeyMappingRepository(self.store, self.audit)
        self.guard = KeyMappingGuard(self.mappings, self.messages, self.notices, config)
        self.issuer = KeyIssuer(self.rotations, self.iam, self.messages, self.notices, self.repo,
                                self.jobs, self.store, config, self.recovery, self.retirer,
                                self.guard)
        self.commands = RotationCommands(config, self.rotations, self.iam, self.issuer,
                                         self.retirer, KeyRequests(self.repo), self.announcer,
                                         self.repo, self.notices, self.jobs, self.store,
                                         self.audit)
        self.handlers = {JobKind.KEY_RECOVER: self.recovery.on_recover,  # as wiring.job_table
                         JobKind.KEY_CONCEAL: self.retirer.on_conceal,
                         JobKind.KEY_DEACTIVATE: self.retirer.on_deactivate,
                         JobKind.KEY_DELETE: self.retirer.on_delete}

    def run_due(self, now: datetime) -> list[str]:
        ran = []
        for job in self.jobs.due(now):
            if job.action in self.handlers and self.jobs.claim(job, now):
                self.handlers[job.action](job, now)
                self.jobs.finish(job, now)
                ran.append(job.action)
        return ran

    def actions(self) -> list[str]:
        return [entry.action for entry in self.audit.entries()]


@pytest.fixture
def rig(tmp_path):
    made = Rig(tmp_path / "g.db")
    made.iam.add_user("dev", DEV, AccessKey("AKIAOLD", "Active", NOW - timedelta(days=90)))
    yield made
    made.store.close()


def test_a_rotation_delivers_the_new_key_once_and_retires_the_old_one_on_time(rig):
    answer = rig.commands.request(DEV, DEV, NOW)
    assert "AKIANEW1" in answer and "AKIAOLD" in answer and SECRET not in answer
    (rotation,) = [rig.rotations.get(1)]
    assert rotation.state is RotationState.DELIVERED and rig.messages.delivered == [(1, SECRET)]
    assert rig.iam.key_ids("dev") == {"AKIAOLD": "Active", "AKIANEW1": "Active"}

    assert rig.run_due(NOW + timedelta(hours=1)) == ["key_conceal"]
    assert rig.messages.concealed == [(1, "removed after an hour")]
    assert rig.run_due(NOW + timedelta(hours=24)) == ["key_deactivate"]
    assert rig.iam.key_ids("dev")["AKIAOLD"] == "Inactive"
    assert rig.run_due(NOW + timedelta(days=8)) == ["key_delete"]
    assert rig.iam.key_ids("dev") == {"AKIANEW1": "Active"}
    assert rig.rotations.get(1).state is RotationState.COMPLETED
    assert rig.messages.announced == [1]  # the DM existed before the key did
    assert rig.actions() == ["key.mapping_recorded", "key.rotation_requested", "key.created",
                             "key.delivered",
                             "key.secret_removed", "key.deactivated", "key.deleted",
                             "key.rotated"]


def test_an_old_key_still_in_use_is_warned_about_before_it_is_deactivated(rig):
    rig.commands.request(DEV, DEV, NOW)
    rig.iam.keys["dev"][0] = AccessKey("AKIAOLD", "Active", NOW - timedelta(days=90),
                                       last_used=NOW + timedelta(hours=1),
                                       last_used_service="s3")
    rig.run_due(NOW + timedelta(hours=24))
    assert rig.iam.key_ids("dev")["AKIAOLD"] == "Active" and rig.messages.warned == [1]
    assert any("was used at" in text for text in rig.notices.texts_to(ADMIN))
    rig.run_due(NOW + timedelta(hours=28))
    assert rig.iam.key_ids("dev")["AKIAOLD"] == "Inactive"


def test_a_key_dm_slack_refuses_deletes_the_new_key_at_once(rig):
    rig.messages.fail = True
    with pytest.raises(UserError, match="Slack did not take"):
        rig.commands.request(DEV, DEV, NOW)
    assert rig.iam.key_ids("dev") == {"AKIAOLD": "Active"}
    assert rig.rotations.get(1).state is RotationState.FAILED
    assert any(UNDELIVERABLE in text for text in rig.notices.texts_to(DEV))
    assert "key.orphan_deleted" in rig.actions()


def test_aws_refusing_the_new_key_changes_nothing(rig):
    rig.iam.refuse["create_key"] = "LimitExceeded"
    with pytest.raises(UserError, match="AWS refused to create the new access key"):
        rig.commands.request(DEV, DEV, NOW)
    assert rig.iam.key_ids("dev") == {"AKIAOLD": "Active"}
    assert rig.rotations.open_for("dev") is None and "key.failed" in rig.actions()


def test_a_key_whose_id_was_never_recorded_is_not_deleted_but_reported(tmp_path, rig):
    iam_user, plan = rig.issuer.prepare(DEV, NOW)
    rotation = rig.issuer.begin(DEV, DEV, iam_user, plan, NOW)
    rig.iam.create_key("dev")  # a key appeared; its id was never stored: maybe not ours
    later = Rig(tmp_path / "g.db", owner="next-run", iam=rig.iam, notices=rig.notices)
    later.recovery.resume(NOW)
    assert "key_recover" in later.run_due(NOW + timedelta(minutes=1))
    assert rig.iam.key_ids("dev") == {"AKIAOLD": "Active", "AKIANEW1": "Active"}
    assert later.rotations.get(rotation.id).state is RotationState.FAILED
    assert any("did not finish" in text for text in rig.notices.texts_to(DEV))
    for user in (DEV, ADMIN):
        told = [t for t in rig.notices.texts_to(user) if "deleted nothing" in t]
        assert told and "AKIANEW1" in told[0] and "AKIAOLD" in told[0]
    assert "key.unrecorded_key_left" in later.actions()
    later.store.close()


def test_a_recorded_key_is_deleted_by_its_id_and_the_key_dm_is_edited(tmp_path, rig):
    iam_user, plan = rig.issuer.prepare(DEV, NOW)
    rotation = rig.issuer.announce(rig.issuer.begin(DEV, DEV, iam_user, plan, NOW), NOW)
    rig.issuer.create(rotation, NOW)
    rig.iam.create_key("dev")  # someone else's key, made by hand meanwhile: not touched
    later = Rig(tmp_path / "g.db", owner="next-run", iam=rig.iam, notices=rig.notices)
    later.messages = rig.messages
    later.recovery.messages = rig.messages
    later.recovery.resume(NOW)
    later.run_due(NOW + timedelta(minutes=1))
    assert rig.iam.key_ids("dev") == {"AKIAOLD": "Active", "AKIANEW2": "Active"}
    assert rig.messages.concealed == [(rotation.id, "withdrawn")]
    assert later.rotations.get(rotation.id).secret_shown is False
    later.store.close()


def test_only_admins_rotate_someone_elses_key(rig):
    with pytest.raises(UserError, match="Only Gatehouse admins"):
        rig.commands.request(OTHER, DEV, NOW)
    assert "AKIANEW1" in rig.commands.request(ADMIN, DEV, NOW)


def test_with_approval_required_the_rotation_is_filed_once(tmp_path):
    rig = Rig(tmp_path / "g.db", requires_approval=True)
    rig.iam.add_user("dev", DEV, AccessKey("AKIAOLD", "Active", NOW - timedelta(days=90)))
    answer = rig.commands.request(DEV, DEV, NOW)
    assert answer.startswith("R-1 filed") and "<#C0APPROVALS>" in answer
    assert rig.announcer.announced == [1] and rig.iam.key_ids("dev") == {"AKIAOLD": "Active"}
    with pytest.raises(UserError, match="R-1 already asks to rotate this key"):
        rig.commands.request(DEV, DEV, NOW)
    rig.store.close()


def test_an_unlinked_person_is_told_how_to_link_their_iam_user(rig):
    with pytest.raises(UserError, match="`slack-user-id` = `U0OTHER`"):
        rig.commands.request(OTHER, OTHER, NOW)
    assert rig.commands.overview(OTHER, NOW) is None
