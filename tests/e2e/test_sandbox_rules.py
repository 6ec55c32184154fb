"""The sandbox's demo rules: a group of approvers, a ticket, on-call auto-approval, break-glass.

The sandbox points the process's AWS settings at its own emulator, so it runs in a child
process here, as `python bot.py sandbox` does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKS = '''
import pytest
from domain.errors import UserError
from sandbox import seed
from sandbox.app import start_sandbox

sandbox = start_sandbox({"PORT": "0"})
try:
    gh, runtime = sandbox.runtime.gh, sandbox.runtime
    text = gh.rules.explain("deploy")
    assert f"@leads ({seed.LEADS}): {seed.ADMIN.id}, {seed.LEAD.id}" in text, text
    assert "CHG-[0-9]+" in text, text
    with pytest.raises(UserError, match="needs a ticket"):
        gh.access.submit(seed.ENGINEER.id, "deploy", 3600, "ship it", gh.now())
    request = gh.access.submit(seed.ENGINEER.id, "oncall", 3600, "triage", gh.now())
    gh.access.announce(request.id, gh.now())
    assert runtime.requests.get(request.id).status.value == "active"
    approved = [e for e in runtime.audit.entries()
                if e.action == "request.approved" and e.request_id == request.id]
    assert "on call in Sandbox primary" in approved[0].details["note"], approved
    with pytest.raises(UserError, match="You may not break the glass"):
        gh.breakglass.use(seed.ENGINEER.id, "incident", 1800, "site down", gh.now())
    answer = gh.breakglass.use(seed.ADMIN.id, "incident", 1800, "site down", gh.now())
    assert "break-glass on `incident`" in answer, answer
finally:
    sandbox.stop()
print("sandbox rules ok")
'''


def test_the_sandbox_shows_each_kind_of_rule():
    done = subprocess.run([sys.executable, "-c", CHECKS], cwd=ROOT, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "sandbox rules ok" in done.stdout
