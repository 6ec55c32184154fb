"""The end-to-end fixtures (a real bot over HTTP, fake Slack, moto) for the adversarial suite."""

import pytest

pytest.register_assert_rewrite("tests.adversarial.checks", "tests.adversarial.invariants",
                              "tests.adversarial.machine")

from tests.e2e.conftest import (  # noqa: E402, F401
    config,
    federation,
    gatehouse,
    slack,
    slack_server,
)
