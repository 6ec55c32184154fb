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
def sandbox_process():
    """`python bot.py sandbox` as a user runs it; Ctrl-C must stop it cleanly, and say so."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "sandbox-stderr.log", "w") as errors:
        process = subprocess.Popen(
            [sys.executable, "bot.py", "sandbox"], cwd=ROOT, text=True,
            env={**os.environ, "PORT": "0", "LOG_LEVEL": "WARNING"},
            stdout=subprocess.PIPE, stderr=errors)
        lines = _lines(process)
        printed: list[str] = []
        try:
            printed.append(lines.get(timeout=60))
            match = re.search(r"http://127\.0\.0\.1:\d+/", printed[0])
            assert match, f"the sandbox did not print its address: {printed[0]!r}"
            while not printed[-1].strip().startswith("python bot.py digest"):
                printed.append(lines.get(timeout=10))
            yield match.group(0), printed
        finally:
            process.send_signal(signal.SIGINT)
            code = process.wait(timeout=60)
    while not lines.empty():
        printed.append(lines.get())
    assert code == 0, f"the sandbox exited with {code} after Ctrl-C"
    assert "Stopping the sandbox…" in printed[-1]


@pytest.fixture(scope="module")
def sandbox_url(sandbox_process):
    return sandbox_process[0]


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


def test_the_command_line_runs_against_the_running_sandbox(sandbox_process):
    _, printed = sandbox_process
    text = "".join(printed)
    database = re.search(r"Database: (\S+gatehouse\.db)", text)
    assert database and Path(database.group(1)).exists()
    exports = re.search(r"export (.+)", text).group(1).split()
    env = {**os.environ, **dict(pair.split("=", 1) for pair in exports)}
    verify = subprocess.run([sys.executable, "bot.py", "audit", "verify"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0 and verify.stdout.startswith("audit: ok"), verify.stderr
    digest = subprocess.run([sys.executable, "bot.py", "digest", "--print"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert "account 123456789012" in digest.stdout, digest.stderr


def test_mentions_key_ages_console_links_and_the_daily_digest(page):
    try:
        mentions_and_key_ages(page)
        console_links(page)
        daily_digest(page)
    except BaseException:
        shot(page, "failure-2")
        raise


def send(page: Page, text: str) -> None:
    page.fill("#composer-input", text)
    page.press("#composer-input", "Enter")
    expect(page.locator("#composer-input")).to_have_value("")


def mentions_and_key_ages(page: Page) -> None:
    """Item 1: `@` offers members and is sent as a mention; item 20: a key made now is new."""
    page.click(".clock-button[data-minutes='60']")  # the emulator moves with the bot's clock
    expect(page.locator(".clock-button").first).to_be_enabled()
    switch_to(page, "U0ADMIN")
    page.click("[data-open=C0GENERAL]")
    page.fill("#composer-input", "")
    page.type("#composer-input", "/access rotate-key @er")
    picker = page.locator("#mention-picker")
    expect(picker).to_be_visible()
    expect(picker.locator(".mention-option")).to_have_count(1)
    expect(picker).to_contain_text("Erin Engineer")
    shot(page, "7-member-picker")
    page.press("#composer-input", "Enter")
    expect(page.locator("#composer-input")).to_have_value("/access rotate-key @erin ")
    expect(picker).to_be_hidden()
    page.press("#composer-input", "Enter")
    answer = page.locator("#timeline .msg.ephemeral", has_text="Rotated")
    expect(answer).to_contain_text("@Erin Engineer")
    expect(page.locator("#timeline")).not_to_contain_text("Name the person")

    switch_to(page, "U0ENGINEER")
    send(page, "/access list")
    keys = page.locator("#timeline .msg.ephemeral", has_text="Access key").last
    expect(keys).to_contain_text("under an hour old")
    expect(keys).to_contain_text("120 days old")
    shot(page, "8-key-ages")


def console_links(page: Page) -> None:
    """Item 22: the console page checks the sign-in token and shows expired as expired."""
    send(page, "/access request sandbox 1h try the console")
    page.click("[data-open=app]")
    page.click(".tab[data-tab=messages]")
    dm = page.locator("#timeline .msg", has_text="Access to sandbox")
    link = dm.locator("button", has_text="Open the AWS console").get_attribute("data-url")
    console = page.context.browser.new_page()
    console.goto(link)
    expect(console.locator("body")).to_contain_text("Signed in with a Gatehouse grant")
    console.goto(re.sub(r"SigninToken=[^&]+", "SigninToken=made-up", link))
    expect(console.locator("body")).to_contain_text("not valid")
    page.click(".clock-button[data-minutes='60']")
    expect(page.locator(".clock-button").first).to_be_enabled()
    page.click(".clock-button[data-minutes='15']")
    expect(page.locator(".clock-button").first).to_be_enabled()
    console.goto(link)
    expect(console.locator("body")).to_contain_text("Session expired")
    console.screenshot(path=str(ARTIFACTS / "9-console-expired.png"))
    console.close()


def daily_digest(page: Page) -> None:
    """Item 21: the daily digest is posted in #hygiene once the clock passes `digest.at`."""
    switch_to(page, "U0ADMIN")
    page.click("[data-open=C0HYGIENE]")
    digests = page.locator("#timeline .msg", has_text="IAM hygiene digest")
    before = digests.count()
    for _ in range(25):  # at most a day of +1 h, whatever the time of day the test runs
        page.click(".clock-button[data-minutes='60']")
        expect(page.locator(".clock-button").first).to_be_enabled(timeout=60_000)
        if digests.count() > before:
            break
    expect(digests).to_have_count(before + 1)
    digests.last.locator(".replies-link").click()
    chart = page.locator(".thread .file img")
    chart.scroll_into_view_if_needed()
    expect(chart).to_be_visible()
    fits = page.evaluate("""() => {
        const img = document.querySelector('.thread .file img').getBoundingClientRect();
        const panel = document.querySelector('.thread').getBoundingClientRect();
        return img.right <= panel.right + 1 && img.left >= panel.left;
    }""")
    assert fits, "the trend chart overflows the thread panel"
    shot(page, "10-digest-thread")


@pytest.mark.parametrize("width", [420, 1024])
def test_the_layout_holds_at_narrow_widths(sandbox_url, width):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.goto(sandbox_url)
        expect(page.locator("#hint")).to_contain_text("Try this")
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"the page is {overflow} px wide in a {width} px window"
        steps = page.locator("#hint-steps li")
        expect(steps).to_have_count(4)
        steps.last.scroll_into_view_if_needed()
        expect(steps.last).to_be_in_viewport()
        expect(page.locator("#composer-input")).to_be_visible()
        shot(page, f"layout-{width}")
        browser.close()
