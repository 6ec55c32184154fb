"""The use cases bundled for the Slack edge and the scheduler, with the clock they share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from services.access import AccessService
from services.context import Context
from services.grants import GrantService
from services.sweep import Sweeper


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Gatehouse:
    ctx: Context
    access: AccessService
    grants: GrantService
    sweeper: Sweeper
    clock: Callable[[], datetime] = utcnow
    extras: dict[str, object] = field(default_factory=dict)

    @classmethod
    def build(cls, ctx: Context, clock: Callable[[], datetime] = utcnow) -> Gatehouse:
        grants = GrantService(ctx)
        return cls(ctx=ctx, access=AccessService(ctx, grants), grants=grants,
                   sweeper=Sweeper(ctx, grants), clock=clock)

    def now(self) -> datetime:
        return self.clock()

    def sweep(self) -> int:
        return self.sweeper.sweep(self.now())
