"""The digest's settings: defaults, the thresholds they become, and errors that name the key."""

import pytest

from config import ConfigError, load_config, parse_config
from domain.hygiene import Thresholds

MINIMAL = {"admins": ["U0ADMIN"], "approvals_channel": "C0APPROVALS",
           "roles": {"prod": {"arn": "arn:aws:iam::123456789012:role/Prod", "max_duration": "2h"}}}


def test_new_digest_settings_default_and_reach_the_thresholds():
    digest = parse_config(MINIMAL).digest
    assert not digest.require_hardware_mfa and digest.service_last_accessed
    assert digest.max_session_for_humans == 4 * 3600
    assert digest.thresholds() == Thresholds()
    custom = parse_config({**MINIMAL, "digest": {
        "require_hardware_mfa": True, "max_session_for_humans": "8h", "unused_after_days": 30,
        "service_last_accessed": False}}).digest
    assert custom.thresholds() == Thresholds(unused_after_days=30, require_hardware_mfa=True,
                                             max_session_for_humans=8 * 3600)


def test_the_example_file_sets_them():
    digest = load_config("gatehouse.example.yml").digest
    assert digest.max_session_for_humans == 4 * 3600 and digest.service_last_accessed


@pytest.mark.parametrize("change", [
    {"max_session_for_humans": "13h"}, {"max_session_for_humans": "30m"},
    {"max_session_for_humans": "soon"}, {"require_hardware_mfa": "maybe"},
    {"service_last_accessed": "sometimes"},
])
def test_bad_values_name_the_key(change):
    with pytest.raises(ConfigError) as caught:
        parse_config({**MINIMAL, "digest": change})
    [key] = change
    assert any(p.startswith(f"digest.{key}:") for p in caught.value.problems), \
        caught.value.problems
