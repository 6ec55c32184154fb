"""Stored job kinds: the names rows already hold, one typed payload each, one handler each."""

from datetime import datetime, timezone

import pytest

from domain.jobs import (
    PAYLOAD_TYPES,
    Job,
    JobKind,
    NoPayload,
    RemoveDenyJob,
    RevokeDenyJob,
    RotationJob,
    ScrubDmJob,
    payload_dict,
)
from storage.database import open_store
from storage.jobs import JobQueue

NOW = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)
STORED_NAMES = {"announce", "activate", "expire_pending", "remind", "expire_grant", "warn_expiry",
                "check_delivery", "revoke_deny", "scrub_dm", "remove_deny", "key_recover",
                "key_conceal", "key_deactivate", "key_delete", "ic_unassign", "ic_session_deny",
                "ic_lift_deny", "breakglass_remind"}


def test_the_kinds_are_exactly_the_action_names_stored_rows_hold():
    assert {kind.value for kind in JobKind} == STORED_NAMES
    assert JobKind("scrub_dm") is JobKind.SCRUB_DM and JobKind.SCRUB_DM == "scrub_dm"


def test_every_kind_has_exactly_one_payload_type():
    for kind in JobKind:
        assert [t for t in PAYLOAD_TYPES if kind in t.kinds] != [], kind
        assert len([t for t in PAYLOAD_TYPES if kind in t.kinds]) == 1, kind


@pytest.mark.parametrize("payload", [
    NoPayload(), RevokeDenyJob("2024-05-01T12:00:00Z"), ScrubDmJob("expired at 12:00 UTC"),
    RemoveDenyJob("arn:aws:iam::1:role/Dev", "gatehouse-revoke-1", "2024-05-01T12:00:00Z"),
    RotationJob(7)])
def test_payloads_round_trip_through_their_stored_dict(payload):
    assert type(payload).from_dict(payload.to_dict()) == payload


def test_a_payload_of_another_kind_is_refused_before_it_is_stored():
    with pytest.raises(TypeError, match="RotationJob is not the payload of scrub_dm"):
        payload_dict(JobKind.SCRUB_DM, RotationJob(1))


def test_the_queue_stores_typed_payloads_as_before_and_reads_old_rows(tmp_path):
    store = open_store(tmp_path / "g.db")
    queue = JobQueue(store)
    queue.schedule(JobKind.KEY_CONCEAL, NOW, key="rotation:3", payload=RotationJob(3))
    queue.schedule("scrub_dm", NOW, key="grant:1", grant_id=1, payload={"ended": "revoked"})
    jobs = {job.kind: job for job in queue.due(NOW)}
    assert jobs[JobKind.KEY_CONCEAL].payload == {"rotation": 3}
    assert ScrubDmJob.from_dict(jobs[JobKind.SCRUB_DM].payload).ended == "revoked"
    store.close()


def test_an_action_this_version_does_not_know_has_no_kind():
    job = Job(1, "retired_action", NOW, "k", None, None, {}, 0)
    assert job.kind is None
    assert RotationJob.from_dict({}).rotation == 0


def test_the_wiring_gives_every_kind_a_handler():
    from types import SimpleNamespace

    from wiring import job_table

    class Anything:
        def __getattr__(self, name):
            return name
    table = job_table(Anything(), SimpleNamespace(recovery=Anything(), retirer=Anything()))
    assert set(table) == set(JobKind)
