"""Key rotation with several accounts, on a real SQLite store and in-memory IAM per account."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.accounts import Account
from domain.errors import UserError
from domain.iam import AccessKey
from domain.rotation import RotationState
from handlers import rotation_blocks
from handlers.commands import Command
from handlers.rotation import _holder_and_key, rotation_args
from services.rotation.commands import RotationCommands
from services.rotation.issuing import KeyIssuer
from services.rotation.recovery import KeyRecovery
from services.rotation.retiring import KeyRetirer
from storage.key_mappings import KeyMappingRepository
from storage.rotations import KeyRequests
from tests.unit.services.fakes import FakeIam
from tests.unit.services.test_rotation_use_cases import DEV, NOW, Rig, settings

PROD, DEVACCT = "111111111111", "222222222222"


class FakeIamByAccount:
    def __init__(self) -> None:
        self.iams = {PROD: FakeIam(NOW), DEVACCT: FakeIam(NOW)}
        self.known = [Account("prod", PROD, f"arn:aws:iam::{PROD}:role/M"),
                      Account("dev", DEVACCT, f"arn:aws:iam::{DEVACCT}:role/M")]

    def accounts(self):
        return list(self.known)

    def account(self, name_or_id):
        return next((a for a in self.known if name_or_id in (a.name, a.id)), None)

    def keys_in(self, account_id):
        return self.iams[account_id]


class AccountRig(Rig):
    """The Rig, rebuilt as the wiring does with `accounts:` set."""

    def __init__(self, path) -> None:
        super().__init__(path)
        self.by_account = by = FakeIamByAccount()
        config = settings()
        self.recovery = KeyRecovery(self.rotations, self.iam, self.repo, self.notices, self.jobs,
                                    self.store, "this-run", self.messages, config.admins, by)
        self.retirer = KeyRetirer(self.rotations, self.iam, self.messages, self.notices,
                                  self.jobs, self.store, config, by)
        self.guard.mappings = KeyMappingRepository(self.store, self.audit)
        self.issuer = KeyIssuer(self.rotations, self.iam, self.messages, self.notices, self.repo,
                                self.jobs, self.store, config, self.recovery, self.retirer,
                                self.guard, by)
        self.commands = RotationCommands(config, self.rotations, self.iam, self.issuer,
                                         self.retirer, KeyRequests(self.repo), self.announcer,
                                         self.repo, self.notices, self.jobs, self.store,
                                         self.audit, by)
        self.handlers.update({"key_recover": self.recovery.on_recover,
                              "key_conceal": self.retirer.on_conceal,
                              "key_deactivate": self.retirer.on_deactivate,
                              "key_delete": self.retirer.on_delete})


@pytest.fixture
def rig(tmp_path):
    made = AccountRig(tmp_path / "g.db")
    old = AccessKey("AKIAOLD", "Active", NOW - timedelta(days=90))
    made.by_account.iams[PROD].add_user("dana", DEV, old)
    made.by_account.iams[DEVACCT].add_user("dana", DEV, old)
    made.iam.add_user("dana", DEV, old)  # Gatehouse's own account: never touched
    yield made
    made.store.close()


def test_a_crash_before_delivery_is_cleaned_up_in_the_rotation_s_account(rig):
    plan_user, plan = rig.issuer.prepare(DEV, NOW, DEV, DEVACCT)
    rotation = rig.issuer.begin(DEV, DEV, plan_user, plan, NOW, account=DEVACCT)
    rig.issuer.create(rotation, NOW)
    assert rig.by_account.iams[DEVACCT].key_ids("dana") == {"AKIAOLD": "Active",
                                                            "AKIANEW1": "Active"}
    assert rig.run_due(NOW + timedelta(minutes=5)) == ["key_recover"]
    assert rig.rotations.get(rotation.id).state is RotationState.FAILED
    assert rig.by_account.iams[DEVACCT].key_ids("dana") == {"AKIAOLD": "Active"}
    assert rig.by_account.iams[PROD].key_ids("dana") == {"AKIAOLD": "Active"}
    assert rig.iam.key_ids("dana") == {"AKIAOLD": "Active"}


def test_each_account_keeps_its_own_mapping_and_open_rotation(rig):
    assert "AKIANEW1" in rig.commands.request(DEV, DEV, NOW, "prod")
    assert "AKIANEW1" in rig.commands.request(DEV, DEV, NOW, "dev")  # no mapping change asked
    assert rig.rotations.open_for("dana", PROD).account == PROD
    assert rig.rotations.open_for("dana", DEVACCT).account == DEVACCT
    assert rig.rotations.open_for("dana") is None and rig.iam.created == 0
    with pytest.raises(UserError, match="several accounts"):
        rig.commands.request(DEV, DEV, NOW)


@pytest.mark.parametrize(("text", "expected"), [
    ("", ("U0ME", None)), ("prod", ("U0ME", "prod")), ("<@U0DANA|dana>", ("U0DANA", None)),
    ("<@U0DANA> prod", ("U0DANA", "prod")),
])
def test_rotate_key_takes_a_person_and_an_account(text, expected):
    assert rotation_args(Command("rotate-key", tuple(text.split())), "U0ME") == expected


@pytest.mark.parametrize("text", ["@dana", "prod dev", "<@U0DANA> prod dev", "prod <@U0DANA>"])
def test_rotate_key_refuses_anything_else_in_words(text):
    with pytest.raises(UserError, match="Slack mention"):
        rotation_args(Command("rotate-key", tuple(text.split())), "U0ME")


def test_the_buttons_carry_the_account_id():
    blocks = rotation_blocks.choose_account("which?", DEV, [("prod", PROD), ("dev", DEVACCT)])
    values = [e["value"] for e in blocks[1]["elements"]]
    assert values == [f"{DEV}:{PROD}", f"{DEV}:{DEVACCT}"]
    idle = [AccessKey("AKIAIDLE", "Inactive", NOW)]
    (_, button) = rotation_blocks.slots_full("full", DEV, idle, PROD)
    value = button["elements"][0]["value"]
    assert value == f"{DEV}:AKIAIDLE:{PROD}"
    assert _holder_and_key({"value": value}) == (DEV, "AKIAIDLE", PROD)
    assert _holder_and_key({"value": f"{DEV}:AKIAIDLE"}) == (DEV, "AKIAIDLE", None)
