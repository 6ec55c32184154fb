"""The access use cases bundled for the Slack edge and the scheduler, with the clock they share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from config import Config
from domain.jobs import JobKind
from domain.oncall import OnCallDirectory
from domain.requests import Kind
from services.access import AccessService
from services.access_rules import AccessRules
from services.breakglass import BreakGlassLog, BreakGlassService, ReviewSlack
from services.grants import Activator, GrantService
from services.identity_center import IdentityCenterGrants
from services.identity_center_end import AssignmentEndings
from services.ports import AuditLog, AwsPort, JobQueue, RequestStore, UnitOfWork
from services.sweep import AccessJobs, JobHandler, Sweeper

JobTable = Callable[[AccessJobs], Mapping[JobKind, JobHandler]]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Gatehouse:
    access: AccessService
    grants: GrantService
    sweeper: Sweeper
    rules: AccessRules
    audit: AuditLog
    breakglass: BreakGlassService
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def build(cls, *, config: Config, requests: RequestStore, jobs: JobQueue, audit: AuditLog,
              uow: UnitOfWork, slack: ReviewSlack, aws: AwsPort, job_table: JobTable,
              break_glass: BreakGlassLog,
              clock: Callable[[], datetime] = utcnow,
              activators: Mapping[Kind, Activator] | None = None,
              on_call: OnCallDirectory | None = None,
              identity_center: IdentityCenterGrants | None = None,
              assignments: AssignmentEndings | None = None) -> Gatehouse:
        """Each service gets only the ports it uses; `job_table` maps every stored job kind to
        its handler, given the access flow's own (`wiring/jobs.py`)."""
        rules = AccessRules(config, slack.group_members, aws, on_call=on_call,
                            user_email=slack.user_email, group_handles=slack.group_handles,
                            requester_check=identity_center.check_requester
                            if identity_center else None)
        grants = GrantService(config=config, requests=requests, jobs=jobs, audit=audit, uow=uow,
                              slack=slack, aws=aws, rules=rules, activators=activators,
                              identity_center=identity_center, assignments=assignments)
        access = AccessService(config=config, requests=requests, jobs=jobs, audit=audit, uow=uow,
                               slack=slack, rules=rules, grants=grants)
        breakglass = BreakGlassService(config=config, requests=requests, uses=break_glass,
                                       jobs=jobs, audit=audit, uow=uow, slack=slack, rules=rules,
                                       grants=grants)
        access_jobs = AccessJobs(requests=requests, jobs=jobs, audit=audit, slack=slack, aws=aws,
                                 rules=rules, grants=grants, access=access, breakglass=breakglass)
        sweeper = Sweeper(jobs, job_table(access_jobs))
        return cls(access=access, grants=grants, sweeper=sweeper, rules=rules, audit=audit,
                   breakglass=breakglass, clock=clock)

    @property
    def config(self) -> Config:
        return self.rules.config

    def now(self) -> datetime:
        return self.clock()

    def sweep(self) -> int:
        return self.sweeper.sweep(self.now())
