"""`python bot.py migrate` on both databases, and the PostgreSQL twin of every migration."""

from __future__ import annotations

import io

import pytest

import cli
from storage.base import MigrationError
from storage.database import redacted
from storage.schema import MIGRATIONS
from storage.schema_postgres import TWINS, twins_in_order


def test_every_sqlite_migration_has_a_postgresql_twin():
    names = [name for name, _ in MIGRATIONS]
    assert sorted(names) == sorted(TWINS), (
        "each migration in storage/schema.py needs an entry of the same name in "
        "storage/schema_postgres.py TWINS")


def test_a_migration_without_twin_is_refused_by_name():
    with pytest.raises(MigrationError, match="009-new has no PostgreSQL twin.*schema_postgres"):
        twins_in_order([*TWINS, "009-new"])


def test_a_password_never_shows():
    assert redacted("postgresql://gh:pw@db:5432/g") == "postgresql://gh:***@db:5432/g"
    assert redacted("/var/lib/gatehouse.db") == "/var/lib/gatehouse.db"


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_migrate_creates_then_finds_the_schema_up_to_date(database, tmp_path, request):
    location = str(tmp_path / "g.db") if database == "sqlite" else request.getfixturevalue(
        "pg_url")
    out = io.StringIO()
    assert cli.dispatch(["migrate"], {"GATEHOUSE_DB": location}, out=out) == 0
    assert "applied 001-requests-grants-jobs-audit" in out.getvalue()
    assert "pw" not in out.getvalue() and "s3cret" not in out.getvalue()
    out = io.StringIO()
    assert cli.dispatch(["migrate"], {"GATEHOUSE_DB": location}, out=out) == 0
    assert f"is up to date ({len(MIGRATIONS)} migrations)" in out.getvalue()


def test_audit_verify_reads_postgresql(pg_url):
    cli.dispatch(["migrate"], {"GATEHOUSE_DB": pg_url}, out=io.StringIO())
    out = io.StringIO()
    assert cli.dispatch(["audit", "verify"], {"GATEHOUSE_DB": pg_url}, out=out) == 0
    assert out.getvalue().strip() == "audit: ok, 0 entries"


def test_an_unreachable_server_is_named_without_its_password(capsys, pg_server):
    url = pg_server.url("postgres").replace(str(pg_server.port), "1")
    assert cli.dispatch(["migrate"], {"GATEHOUSE_DB": url}, out=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "cannot connect to PostgreSQL" in err and "***" in err and "s3cret" not in err
