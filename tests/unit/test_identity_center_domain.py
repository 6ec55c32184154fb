"""The Identity Center domain: reference counting of assignments by grant, standing access, and
when a session deny may be lifted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.identity_center import (
    DENY_LIFT_MARGIN,
    Assignment,
    AssignmentClaims,
    AssignmentKey,
    SessionDeny,
    after_deletion,
    end_grant,
    session_seconds,
    standing_user_assignments,
    start_grant,
)

KEY = AssignmentKey("111111111111", "arn:aws:sso:::permissionSet/ssoins-1/ps-1", "user-1")


def test_the_first_grant_creates_a_missing_assignment_and_it_is_not_standing():
    step = start_grant(None, KEY, 1, assignment_exists=False)
    assert step.create and step.claims == AssignmentClaims(KEY, standing=False,
                                                           grants=frozenset({1}))


def test_an_assignment_found_before_any_grant_is_standing_and_never_deleted():
    step = start_grant(None, KEY, 1, assignment_exists=True)
    assert not step.create and step.claims.standing
    assert end_grant(step.claims, 1).delete is False
    assert end_grant(step.claims, 1).claims is None


def test_only_the_last_of_overlapping_grants_deletes():
    claims = start_grant(None, KEY, 1, assignment_exists=False).claims
    claims = start_grant(claims, KEY, 2, assignment_exists=True).claims
    first = end_grant(claims, 1)
    assert not first.delete and first.claims.grants == {2}
    last = end_grant(first.claims, 2)
    assert last.delete and last.claims.may_delete()
    assert after_deletion(last.claims) is None


def test_ending_an_unknown_grant_changes_nothing():
    assert end_grant(None, 7).claims is None and not end_grant(None, 7).delete
    claims = start_grant(None, KEY, 1, assignment_exists=False).claims
    assert end_grant(claims, 7).claims == claims


def test_a_grant_arriving_while_gatehouse_deletes_its_assignment_is_not_standing():
    pending = end_grant(start_grant(None, KEY, 1, assignment_exists=False).claims, 1).claims
    step = start_grant(pending, KEY, 2, assignment_exists=True)
    assert not step.claims.standing and not step.claims.may_delete()
    settled = after_deletion(step.claims)  # the deletion had already started: create it again
    assert settled and settled.create and settled.claims.grants == {2}


def test_standing_user_assignments_skip_groups_and_tracked_users():
    found = [Assignment("1", "ps", "USER", "u1"), Assignment("1", "ps", "GROUP", "g1"),
             Assignment("1", "ps", "USER", "u2")]
    assert standing_user_assignments(found, [AssignmentKey("1", "ps", "u1")]) == [
        AssignmentKey("1", "ps", "u2")]


@pytest.mark.parametrize(("iso", "seconds"), [
    (None, 3600), ("PT1H", 3600), ("PT12H", 43200), ("PT90M", 5400), ("PT1H30M", 5400),
    ("pt2h", 7200)])
def test_session_durations_are_read(iso, seconds):
    assert session_seconds(iso) == seconds


@pytest.mark.parametrize("iso", ["P1D", "PT", "1h", "PTXH"])
def test_a_bad_session_duration_is_refused_in_words(iso):
    with pytest.raises(ValueError, match="not a session duration like PT1H"):
        session_seconds(iso)


def test_a_session_deny_is_lifted_after_the_longest_session_and_a_margin():
    cutoff = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    deny = SessionDeny("ps", "user-1", cutoff)
    assert deny.lift_at(7200) == cutoff + timedelta(hours=2) + DENY_LIFT_MARGIN


# --- the property: exists exactly while a grant is live or it was standing ---------------------


class World:
    """One assignment in AWS, Gatehouse's record of it, and deletion jobs in flight."""

    def __init__(self, standing: bool) -> None:
        self.exists = self.standing = standing
        self.claims: AssignmentClaims | None = None
        self.live: set[int] = set()
        self.jobs: list[str] = []  # "queued", then "deleting" once AWS was asked

    def start(self, grant: int) -> None:
        step = start_grant(self.claims, KEY, grant, assignment_exists=self.exists)
        self.claims, self.exists = step.claims, self.exists or step.create
        self.live.add(grant)

    def end(self, grant: int) -> None:
        step = end_grant(self.claims, grant)
        self.claims = step.claims
        self.live.discard(grant)
        if step.delete:
            self.jobs.append("queued")

    def advance_job(self, index: int) -> None:
        """Queued: check the record and ask AWS. Deleting: AWS has finished; settle the record."""
        if self.jobs[index] == "queued":
            if self.claims is not None and self.claims.may_delete():
                self.jobs[index] = "deleting"
                return
        else:
            self.exists = False
            settled = after_deletion(self.claims)
            self.claims = settled.claims if settled else None
            self.exists = bool(settled and settled.create)
        del self.jobs[index]

    def settle(self) -> None:
        while self.jobs:
            self.advance_job(0)

    def holds(self) -> bool:
        return self.exists == (bool(self.live) or self.standing)


@settings(max_examples=300, deadline=None)
@given(standing=st.booleans(), data=st.data())
def test_with_prompt_deletions_the_assignment_exists_exactly_while_needed(standing, data):
    world, ended = World(standing), set()
    grants = data.draw(st.integers(1, 6))
    events = data.draw(st.permutations([*range(grants), *range(grants)]))
    for grant in events:  # each grant's first appearance starts it, its second ends it
        if grant in world.live:
            world.end(grant)
            ended.add(grant)
        elif grant not in ended:
            world.start(grant)
        world.settle()
        assert world.holds(), (world.exists, world.live, world.standing)


@settings(max_examples=300, deadline=None)
@given(standing=st.booleans(), data=st.data())
def test_with_slow_deletions_racing_new_grants_nothing_is_lost_or_left(standing, data):
    world, ended, next_grant = World(standing), set(), 0
    for _ in range(data.draw(st.integers(1, 30))):
        moves = ["start"] + (["end"] if world.live else []) + (["job"] if world.jobs else [])
        move = data.draw(st.sampled_from(moves))
        if move == "start":
            world.start(next_grant)
            next_grant += 1
        elif move == "end":
            grant = data.draw(st.sampled_from(sorted(world.live)))
            world.end(grant)
            ended.add(grant)
        else:
            world.advance_job(data.draw(st.integers(0, len(world.jobs) - 1)))
        if world.standing:
            assert world.exists  # standing access is never touched
        if world.live and "deleting" not in world.jobs:
            assert world.exists
    world.settle()
    assert world.holds()
    assert world.claims is None or world.claims.grants == frozenset(world.live)
