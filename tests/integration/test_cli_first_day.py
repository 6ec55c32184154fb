"""The command line on a first day: no AWS credentials, no database, no config file."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
import yaml

import cli
from aws.clients import AwsClients
from cli import print_digest

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
CONFIG = {"timezone": "UTC", "admins": ["U0ADMIN"], "approvals_channel": "C0APPROVALS",
          "roles": {"ops": {"arn": "arn:aws:iam::123456789012:role/open",
                            "max_duration": "2h"}},
          "digest": {"channel": "C0HYGIENE"}}


@pytest.fixture
def no_aws_credentials(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def settings(tmp_path):
    path = tmp_path / "gatehouse.yml"
    path.write_text(yaml.safe_dump(CONFIG))
    return {"GATEHOUSE_CONFIG": str(path), "GATEHOUSE_DB": str(tmp_path / "g.db")}


def test_a_digest_that_read_nothing_says_so_and_exits_non_zero(no_aws_credentials, settings,
                                                                capsys):
    out = io.StringIO()
    code = print_digest(settings, post=False, now=NOW, out=out,
                        aws_clients=AwsClients.from_environment("us-east-1"),
                        sleep=lambda _: None)
    text = out.getvalue()
    assert code == 1
    headline = text.splitlines()[0]
    assert "NOTHING CHECKED" in headline and "no source could be read" in headline
    assert "Nothing to fix" not in text and "0 open findings" not in text
    assert "Missing sources:" in text
    assert "no source could be read" in capsys.readouterr().err


def test_a_partial_digest_exits_zero_and_names_what_is_missing(aws, settings):
    from tests.digest_seed import DigestClients, stubbed_cloudtrail

    cloudtrail, _ = stubbed_cloudtrail([None])
    clients = DigestClients(AwsClients.from_environment("us-east-1"), cloudtrail)
    out = io.StringIO()
    assert print_digest(settings, post=False, now=NOW, aws_clients=clients, out=out,
                        sleep=lambda _: None) == 0
    headline = out.getvalue().splitlines()[0]
    assert "INCOMPLETE: could not read" in headline and "CloudTrail" in headline


def test_audit_with_no_database_is_an_error_and_creates_nothing(tmp_path, capsys):
    missing = tmp_path / "nowhere.db"
    for argv in (["audit", "verify"], ["audit", "export"]):
        out = io.StringIO()
        assert cli.dispatch(argv, {"GATEHOUSE_DB": str(missing)}, out=out) == 2
        assert f"no database at {missing}" in capsys.readouterr().err
        assert not missing.exists() and out.getvalue() == ""


def test_a_missing_config_file_suggests_copying_the_example(tmp_path, capsys):
    path = tmp_path / "gatehouse.yml"
    environ = {"GATEHOUSE_CONFIG": str(path), "GATEHOUSE_DB": str(tmp_path / "g.db")}
    assert cli.dispatch(["digest", "--print"], environ) == 2
    err = capsys.readouterr().err
    assert f"cp gatehouse.example.yml {path}" in err
