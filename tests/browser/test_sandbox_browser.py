"""The newcomer's path through `python bot.py sandbox`, driven in a real headless Chromium."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "sandbox-browser"
CHROMIUM = Path(os.environ.get("GATEHOUSE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
FIRST_REQUEST = "/access request prod-readonly 1h check the logs"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"Chromium is not installed at {CHROMIUM}; `apt-get install chromium` "
           "(or set GATEHOUSE_CHROMIUM) to run the browser test")


@pytest.fixture(scope="module")
def sandbox_url():
    """`python bot.py sandbox` as a user runs it; Ctrl-C must stop it cleanly."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "sandbox-stderr.log", "w") as errors:
        process = subprocess.Popen(
            [sys.executable, "bot.py", "sandbox"], cwd=ROOT, text=True,
            env={**os.environ, "PORT": "0", "LOG_LEVEL": "WARNING"},
            stdout=subprocess.PIPE, stderr=errors)
        lines = _lines(process)
        try:
            first = lines.get(timeout=60)
            match = re.search(r"http://127\.0\.0\.1:\d+/", first)
            assert match, f"the sandbox did not print its address: {first!r}"
            yield match.group(0)
        finally:
            process.send_signal(signal.SIGINT)
            code = process.wait(timeout=60)
    assert code == 0, f"the sandbox exited with {code} after Ctrl-C"


def _lines(process: subprocess.Popen) -> queue.Queue:
    found: queue.Queue = queue.Queue()

    def read() -> None:
        for line in process.stdout:
            found.put(line)
    threading.Thread(target=read, daemon=True).start()
    return found


@pytest.fixture
def page(sandbox_url):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 850})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.set_default_timeout(15_000)
        page.goto(sandbox_url)
        yield page
        browser.close()
    assert not errors, f"the page's script failed: {errors}"


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def switch_to(page: Page, user: str) -> None:
    page.click(f".who-button[data-user={user}]")
    expect(page.locator(".who-button[aria-checked=true]")).to_have_attribute("data-user", user)


def test_request_approve_credentials_home_and_expiry(page):
    try:
        walk_through(page)
    except BaseException:
        shot(page, "failure")
        raise


def walk_through(page: Page) -> None:
    expect(page.locator(".who-button[aria-checked=true]")).to_contain_text("Erin")
    expect(page.locator("#hint")).to_contain_text("Try this")

    page.fill("#composer-input", FIRST_REQUEST)
    page.press("#composer-input", "Enter")
    expect(page.locator("#timeline .msg.ephemeral")).to_contain_text("R-1 filed")
    expect(page.locator("#timeline .msg.ephemeral")).to_contain_text("Only visible to you")
    shot(page, "1-engineer-requested")

    switch_to(page, "U0LEAD")
    page.click("[data-open=C0APPROVALS]")
    request = page.locator("#timeline .msg", has_text="R-1: access to prod-readonly")
    request.locator("button[data-action-id=approve]").click()
    expect(request).to_contain_text("Approved by")
    expect(request.locator("button[data-action-id=approve]")).to_have_count(0)
    shot(page, "2-lead-approved")

    switch_to(page, "U0ENGINEER")
    page.click("[data-open=app]")
    page.click(".tab[data-tab=messages]")
    dm = page.locator("#timeline .msg", has_text="Access to prod-readonly")
    expect(dm).to_contain_text("AWS_SECRET_ACCESS_KEY")
    expect(dm.locator("button", has_text="Open the AWS console")).to_be_visible()
    shot(page, "3-engineer-credentials")

    page.click(".tab[data-tab=home]")
    home = page.locator("#timeline .bk-home")
    expect(home).to_contain_text("R-1")
    expect(home.locator("button[data-action-id=revoke]")).to_be_visible()
    expect(home.locator("button[data-action-id=extend_open]")).to_be_visible()
    shot(page, "4-engineer-home-grant")

    before = page.inner_text("#clock-now")
    page.click(".clock-button[data-minutes='60']")
    page.click(".clock-button[data-minutes='60']")
    expect(page.locator(".clock-button").first).to_be_enabled()
    expect(page.locator("#clock-now")).not_to_have_text(before)
    expect(home).to_contain_text("No active access")
    expect(home.locator("button[data-action-id=revoke]")).to_have_count(0)
    shot(page, "5-engineer-home-after-2h")

    page.click(".tab[data-tab=messages]")
    expect(dm).to_contain_text("credentials and sign-in link were removed")
    expect(page.locator("#timeline")).not_to_contain_text("AWS_SECRET_ACCESS_KEY")
    expect(page.locator("#timeline")).not_to_contain_text("federation")
    shot(page, "6-engineer-dm-after-2h")
