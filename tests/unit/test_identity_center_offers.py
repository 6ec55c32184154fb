"""Permission sets are offered where roles are: the request modal (marked) and /access help."""

from __future__ import annotations

from config import parse_config
from handlers import commands, views
from tests.unit.test_identity_center_config import ADMIN, CENTER, config


def test_the_modal_puts_permission_sets_with_their_accounts_roles_marked_as_such():
    parsed = parse_config(config(identity_center=CENTER, permission_sets={"admin": ADMIN}))
    select = views.request_modal(parsed, "C0TEAM")["blocks"][0]["element"]
    groups = {g["label"]["text"]: g["options"] for g in select["option_groups"]}
    prod = {o["value"]: o for o in groups["Account prod"]}
    assert prod["prod/admin"]["text"]["text"] == "admin (permission set)"
    assert "IAM Identity Center: AdministratorAccess" in prod["prod/admin"]["description"]["text"]
    assert "dev/admin" in {o["value"] for o in groups["Account dev"]}
    assert "readonly" in prod and prod["readonly"]["text"]["text"] == "readonly"


def test_help_lists_permission_sets_apart_from_roles():
    text = commands.help_text(["readonly"], ["dev/admin", "prod/admin"])
    assert "Roles: `readonly`." in text
    assert "Permission sets (IAM Identity Center" in text and "`prod/admin`" in text
    assert "Permission sets" not in commands.help_text(["readonly"])
