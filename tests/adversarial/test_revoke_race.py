"""A revoke that lands while AWS is issuing the credentials still denies those credentials."""

from __future__ import annotations

from datetime import timedelta

from tests.adversarial.machine import DEV, LEAD, AccessMachine


class RevokeDuringAssume(AccessMachine):
    """The access services on fakes, with a revoke slipped in while AssumeRole runs."""

    def __init__(self) -> None:
        super().__init__()
        assume = self.aws.assume

        def assume_while_revoked(**arguments):
            request_id = arguments["request_id"]
            self.gh.access.revoke(request_id, DEV, self.now())
            self.clock.now += timedelta(seconds=30)  # AWS answers a little later
            return assume(**arguments)
        self.aws.assume = assume_while_revoked


def test_the_deny_follows_credentials_issued_after_the_revoke():
    machine = RevokeDuringAssume()
    try:
        request = machine.gh.access.submit(DEV, "dev", 3600, "deploy", machine.now())
        machine.gh.access.announce(request.id, machine.now())
        machine.gh.access.approve(request.id, LEAD, machine.now())
        (issued,) = machine.aws.assumed
        denies = [d for d in machine.aws.denies.values() if d.source_identity
                  == issued.source_identity]
        assert denies and denies[0].issued_before > issued.issued_at
        assert machine.gh.access.request(request.id).status.value == "revoked"
    finally:
        machine.teardown()
