"""A hypothesis state machine: random user actions, clock jumps, faults and crashes."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from config import parse_config
from domain.break_glass import Verdict
from domain.errors import UserError
from services.gatehouse import Gatehouse
from storage.audit import AuditLog
from storage.break_glass import BreakGlassRepository
from storage.database import open_store
from storage.jobs import JobQueue
from storage.repository import Repository
from tests.adversarial import invariants
from tests.adversarial.fakes import (
    Crash,
    FakeAws,
    FakeSlack,
    Faults,
    SlackDown,
    access_job_table,
)

ADMIN, LEAD, LEAD2, DEV, DEV2 = "U0ADMIN", "U0LEAD", "U0LEAD2", "U0DEV", "U0DEV2"
USERS = [ADMIN, LEAD, LEAD2, DEV, DEV2]
ARN = "arn:aws:iam::123456789012:role/"
CONFIG = parse_config({
    "admins": [ADMIN], "approvals_channel": "C0APPROVALS",
    "roles": {
        "dev": {"arn": ARN + "Dev", "max_duration": "8h", "approvers": [LEAD],
                "allow_self_approval": True},
        "prod": {"arn": ARN + "Prod", "max_duration": "2h", "approvers": [LEAD, LEAD2],
                 "approvals_required": 2,
                 "break_glass": {"allowed": [DEV, DEV2], "max_duration": "1h",
                                 "max_per_week": 2}},
        "sandbox": {"arn": ARN + "Sandbox", "max_duration": "1h", "auto_approve": True},
        "office": {"arn": ARN + "Office", "max_duration": "4h", "approvers": [LEAD],
                   "conditions": {"hours": "08:00-12:00"}},
    },
})
PICK = st.integers(0, 30)
START = datetime(2026, 11, 30, 8, 30, tzinfo=timezone.utc)
STATEFUL = settings(max_examples=200, stateful_step_count=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class AccessMachine(RuleBasedStateMachine):
    """Users file, decide, cancel, revoke and extend while time jumps and AWS or Slack fail."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="gatehouse-prop-"))
        self.store = open_store(self.folder / "gatehouse.db")
        for statement in invariants.STATUS_TRACE:
            self.store.execute(statement)
        self.clock = Clock()
        self.aws, self.slack = FakeAws(self.clock), FakeSlack()
        self.audit = AuditLog(self.store)
        self.gh = Gatehouse.build(config=CONFIG, requests=Repository(self.store, self.audit),
                                  jobs=JobQueue(self.store), audit=self.audit, uow=self.store,
                                  slack=self.slack, aws=self.aws, clock=self.clock,
                                  job_table=access_job_table,
                                  break_glass=BreakGlassRepository(self.store))
        self.conn = invariants.connect(self.folder / "gatehouse.db")
        self.crashes = Faults()
        activate = self.gh.grants.activate

        def activate_unless_crashed(request_id, now):
            self.crashes.crash_here("activate")
            return activate(request_id, now)
        self.gh.grants.activate = activate_unless_crashed

    def attempt(self, work) -> None:
        """Run one user action as the Slack edge would: refusals and Slack faults are answers.

        A crash stops the action where it was; what was committed stays, the rest is lost.
        """
        try:
            work()
        except (UserError, SlackDown, Crash):
            pass

    def now(self) -> datetime:
        return self.clock()

    def pick(self, choice: int) -> int:
        """A request id: mostly one that exists, the newest most often; sometimes none."""
        newest = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM requests").fetchone()[0]
        if choice >= 28 or newest == 0:
            return newest + 1
        return max(1, newest - choice % 4) if choice < 20 else 1 + choice % newest

    # --- what people do -----------------------------------------------------------------

    @rule(user=st.sampled_from(USERS), role=st.sampled_from(["dev", "prod", "sandbox", "office",
                                                            "nope"]),
          minutes=st.sampled_from([5, 15, 30, 30, 60, 60, 90, 120, 300]),
          reason=st.sampled_from(["deploy", "deploy", "", "  <!channel> fix"]))
    def submit(self, user, role, minutes, reason):
        def work():
            request = self.gh.access.submit(user, role, minutes * 60, reason, self.now())
            self.gh.access.announce(request.id, self.now())
        self.attempt(work)

    @rule(user=st.sampled_from([DEV, DEV2, LEAD]),
          role=st.sampled_from(["dev", "prod", "sandbox", "office"]),
          minutes=st.sampled_from([15, 30, 60, 120]))
    def file_valid(self, user, role, minutes):
        self.submit(user, role, minutes, "deploy")

    @rule(user=st.sampled_from([DEV, DEV2, LEAD]),
          role=st.sampled_from(["dev", "prod", "sandbox", "office"]),
          minutes=st.sampled_from([15, 60, 120]), ahead=st.sampled_from([-5, 10, 60, 300, 1500]))
    def file_scheduled(self, user, role, minutes, ahead):
        """A request that starts `ahead` minutes from now (a start in the past is refused)."""
        def work():
            start = self.now() + timedelta(minutes=ahead)
            request = self.gh.access.submit(user, role, minutes * 60, "deploy", self.now(), start)
            self.gh.access.announce(request.id, self.now())
        self.attempt(work)

    @rule(user=st.sampled_from([DEV, DEV2, LEAD]), minutes=st.sampled_from([15, 30, 60, 90]))
    def break_glass(self, user, minutes):
        self.attempt(lambda: self.gh.breakglass.use(user, "prod", minutes * 60, "fire",
                                                    self.now()))

    @rule(choice=PICK, user=st.sampled_from(USERS), justified=st.booleans())
    def review(self, choice, user, justified):
        number = self.pick(choice)
        verdict = Verdict.JUSTIFIED if justified else Verdict.NOT_JUSTIFIED
        self.attempt(lambda: self.gh.breakglass.review(number, user, verdict, self.now()))

    @rule(choice=PICK, user=st.sampled_from([ADMIN, LEAD, LEAD2]))
    def approve_as_approver(self, choice, user):
        self.approve(choice, user)

    @rule(choice=PICK, user=st.sampled_from(USERS))
    def approve(self, choice, user):
        number = self.pick(choice)
        self.attempt(lambda: self.gh.access.approve(number, user, self.now()))

    @rule(choice=PICK, user=st.sampled_from(USERS), reason=st.sampled_from(["", "no"]))
    def deny(self, choice, user, reason):
        number = self.pick(choice)
        self.attempt(lambda: self.gh.access.deny(number, user, reason, self.now()))

    @rule(choice=PICK, user=st.sampled_from(USERS))
    def cancel(self, choice, user):
        number = self.pick(choice)
        self.attempt(lambda: self.gh.access.cancel(number, user, self.now()))

    @rule(choice=PICK, user=st.sampled_from(USERS))
    def revoke(self, choice, user):
        number = self.pick(choice)
        self.attempt(lambda: self.gh.access.revoke(number, user, self.now()))

    @rule(choice=PICK, user=st.sampled_from(USERS),
          minutes=st.sampled_from([10, 15, 30, 60, 240]))
    def extend(self, choice, user, minutes, number=None):
        number = number or self.pick(choice)
        def work():
            request = self.gh.access.extend(user, number, minutes * 60, "", self.now())
            self.gh.access.announce(request.id, self.now())
        self.attempt(work)

    @rule(choice=PICK, by_holder=st.booleans(), minutes=st.sampled_from([15, 60]))
    def extend_live(self, choice, by_holder, minutes):
        live = self.live_grants()
        if live:
            grant = live[choice % len(live)]
            user = grant["requester"] if by_holder else LEAD
            self.extend(grant["request_id"] + 1000, user, minutes, grant["request_id"])

    @rule(choice=PICK, by_holder=st.booleans())
    def revoke_live(self, choice, by_holder):
        live = self.live_grants()
        if live:
            grant = live[choice % len(live)]
            user = grant["requester"] if by_holder else ADMIN
            self.attempt(lambda: self.gh.access.revoke(grant["request_id"], user, self.now()))

    def live_grants(self) -> list[dict]:
        return invariants.rows(self.conn, "SELECT * FROM grants WHERE ended_at IS NULL"
                               " ORDER BY id")

    # --- time, the scheduler and failures -----------------------------------------------

    @rule(minutes=st.sampled_from([1, 5, 14, 16, 31, 61, 125, 241, 12 * 60 + 1]))
    def advance(self, minutes):
        self.clock.now += timedelta(minutes=minutes)

    @rule()
    def sweep(self):
        try:
            self.gh.sweep()
        except Crash:
            return
        assert invariants.overdue_live_grants(self.conn, self.now()) == []

    @rule(call=st.sampled_from(["assume", "deny", "console", "get_role", "remove_deny"]))
    def aws_fails(self, call):
        self.aws.faults.arm(call)

    @rule(call=st.sampled_from(["post_request", "dm", "dm_credentials", "scrub"]))
    def slack_fails(self, call):
        self.slack.faults.arm(call)

    @rule(point=st.sampled_from(["activate", "assume", "dm_credentials", "dm", "scrub", "deny",
                                 "post_request"]))
    def crash_at(self, point):
        """The next time the bot reaches `point`, the process dies (kill -9)."""
        if point == "activate":
            self.crashes.arm_crash(point)
        elif point in ("assume", "deny"):
            self.aws.faults.arm_crash(point)
        else:
            self.slack.faults.arm_crash(point)

    # --- what must always hold ----------------------------------------------------------

    @invariant()
    def every_move_is_legal_and_audited(self):
        assert invariants.illegal_moves(self.conn) == []
        assert invariants.unaudited_moves(self.conn) == []

    @invariant()
    def scheduled_requests_start_no_earlier_than_their_start(self):
        assert invariants.rows(
            self.conn, "SELECT r.id FROM requests r JOIN grants g ON g.request_id = r.id"
            " WHERE r.starts_at IS NOT NULL AND g.started_at < r.starts_at") == []

    @invariant()
    def break_glass_never_exceeds_the_weekly_limit(self):
        uses = invariants.rows(self.conn, "SELECT * FROM break_glass ORDER BY used_at")
        limit = CONFIG.role("prod").break_glass.max_per_week
        for use in uses:
            at = datetime.fromisoformat(use["used_at"])
            week = [u for u in uses if u["requester"] == use["requester"]
                    and at - timedelta(days=7) < datetime.fromisoformat(u["used_at"]) <= at]
            assert len(week) <= limit, use
        reviews = invariants.rows(self.conn, "SELECT request_id, COUNT(*) AS n FROM audit"
                                  " WHERE action = 'breakglass.reviewed' GROUP BY request_id")
        assert all(r["n"] == 1 for r in reviews), reviews

    @invariant()
    def grants_are_consistent(self):
        assert invariants.all_problems(self.conn) == []

    @invariant()
    def audit_chain_holds(self):
        assert self.audit.verify()[1] is None

    @invariant()
    def credentials_never_outlive_their_grant(self):
        grants = {g["request_id"]: g for g in invariants.rows(self.conn, "SELECT * FROM grants")}
        for issued in self.aws.assumed:
            grant = grants[issued.request_id]
            expires = issued.issued_at + timedelta(seconds=issued.duration_seconds)
            assert 900 <= issued.duration_seconds <= self.aws.max_seconds
            assert expires <= issued.ends_at
            ended = grant["ended_at"] and datetime.fromisoformat(grant["ended_at"])
            delivered = issued.secret in self.slack.delivered
            if delivered and ended and expires > ended and grant["end_status"] != "expired":
                assert self._denied_or_pending(grant, issued), (grant, issued)

    def _denied_or_pending(self, grant, issued) -> bool:
        covered = any(d.source_identity == issued.source_identity
                      and d.issued_before > issued.issued_at for d in self.aws.denies_ever)
        waiting = invariants.rows(self.conn, "SELECT id FROM jobs WHERE action='revoke_deny'"
                                  " AND key=? AND done_at IS NULL", (f"grant:{grant['id']}",))
        return covered or bool(waiting)

    @invariant()
    def ended_grants_are_scrubbed_or_being_scrubbed(self):
        for grant in invariants.rows(self.conn, "SELECT * FROM grants WHERE ended_at IS NOT NULL"
                                     " AND dm_ts IS NOT NULL"):
            if "SECRET" in self.slack.dms[grant["dm_ts"]]:
                assert invariants.rows(self.conn, "SELECT id FROM jobs WHERE action='scrub_dm'"
                                       " AND key=? AND done_at IS NULL",
                                       (f"grant:{grant['id']}",)), grant

    def teardown(self):
        try:
            self.settle()
        finally:
            stored = b"".join(p.read_bytes() for p in self.folder.glob("gatehouse.db*"))
            self.conn.close()
            self.store.close()
            shutil.rmtree(self.folder, ignore_errors=True)
        for issued in self.aws.assumed:
            assert issued.secret.encode() not in stored

    def settle(self):
        """Faults stop and a day passes: every retry lands and nothing is left behind."""
        for faults in (self.aws.faults, self.slack.faults, self.crashes):
            faults.armed.clear()
            faults.crashes.clear()
        for _ in range(4):
            self.clock.now += timedelta(hours=13)
            self.gh.sweep()
        assert invariants.all_problems(self.conn) == []
        assert invariants.unsettled_requests(self.conn) == []
        assert invariants.rows(self.conn, "SELECT * FROM grants WHERE ended_at IS NULL") == []
        assert invariants.rows(self.conn, "SELECT action, key FROM jobs WHERE done_at IS NULL"
                               " AND action NOT IN ('remind', 'warn_expiry',"
                               " 'breakglass_remind')") == []
        assert not any("SECRET" in text for text in self.slack.dms.values())
        assert self.aws.denies == {}, "a revoke deny was left on a role"
