"""The sandbox page's Block Kit renderer: it knows every type the bot emits, and renders each."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from config import parse_config
from domain.requests import AccessRequest, Grant, Kind, Status
from handlers import blocks, home_blocks, views

ROOT = Path(__file__).resolve().parents[2]
RENDERER = ROOT / "sandbox" / "static" / "blockkit.js"
TABLES = ("BLOCKS", "ELEMENTS", "TEXTS", "VIEWS")
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="Node.js is not installed: the renderer's "
                                "output is checked by running it under node")


# --- which types the renderer knows, which the bot emits ---------------------------------

def renderer_types() -> set[str]:
    """Keys of the renderer's tables (`const BLOCKS = { header: header, … };`)."""
    source = RENDERER.read_text()
    known = set()
    for table in TABLES:
        body = re.search(rf"const {table} = \{{(.*?)\n  \}};", source, re.S)
        assert body, f"blockkit.js has no {table} table"
        known |= set(re.findall(r"^\s+([a-z_]+):", body.group(1), re.M))
    return known


def emitted_literals() -> dict[str, set[str]]:
    """Every `"type": "<literal>"` (or `type="<literal>"`) in the Slack edge, by file."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "handlers").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            for value in _type_values(node):
                found.setdefault(value, set()).add(path.name)
    return found


def _type_values(node: ast.AST) -> list[str]:
    pairs: list[tuple[ast.AST | None, ast.AST]] = []
    if isinstance(node, ast.Dict):
        pairs = list(zip(node.keys, node.values, strict=True))
    elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "dict":
        pairs = [(ast.Constant(k.arg), k.value) for k in node.keywords]
    return [value.value for key, value in pairs
            if isinstance(key, ast.Constant) and key.value == "type"
            and isinstance(value, ast.Constant) and isinstance(value.value, str)]


def types_in(value) -> set[str]:
    """Every `type` inside a built view or block list, however deep."""
    if isinstance(value, dict):
        own = {value["type"]} if isinstance(value.get("type"), str) else set()
        return own.union(*(types_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(types_in(v) for v in value))
    return set()


def request(number=7, **changes) -> AccessRequest:
    values = dict(id=number, kind=Kind.ACCESS, requester="U0DEV", role="prod-readonly",
                  duration_seconds=3600, reason="look at <script>alert(1)</script>",
                  status=Status.PENDING, created_at=NOW, approvals_required=1)
    return AccessRequest(**{**values, **changes})


def grant(number=7) -> Grant:
    return Grant(id=number, request_id=number, requester="U0DEV", role="prod-readonly",
                 role_arn="arn:aws:iam::123456789012:role/ProdReadOnly", started_at=NOW,
                 ends_at=NOW + timedelta(hours=1), source_identity="dev@example.com",
                 session_name="s")


def bot_samples() -> dict[str, list[dict]]:
    """What the pure builders of handlers/*blocks*.py and views.py produce, as block lists."""
    config = parse_config({"admins": ["U0ADMIN"], "approvals_channel": "C0APPROVALS",
                           "roles": {"dev": {"arn": "arn:aws:iam::123456789012:role/Dev",
                                             "max_duration": "1h"}}})
    content = home_blocks.HomeContent(
        user="U0LEAD", now=NOW, grants=[(request(status=Status.ACTIVE), grant())],
        pending=[request(8)], decisions=[home_blocks.Decision(request(9))], decides=True,
        notice="You approved R-1.")
    return {
        "request": blocks.request_message(request(), description="Read-only", approvals=[],
                                          deciders=["U0LEAD"]),
        "credentials": blocks.credentials_message(
            request(), grant(), access_key_id="ASIA", secret_access_key="s", session_token="t",
            console_url="https://signin.aws.amazon.com/federation?x=1", note="clipped"),
        "removed": blocks.credentials_removed(request(), grant(), "expired"),
        "warning": blocks.expiry_warning(grant(), 15),
        "request_modal": views.request_modal(config, "C0GENERAL")["blocks"],
        "deny_modal": views.deny_modal(7, "R-7")["blocks"],
        "extend_modal": views.extend_modal(7, "R-7")["blocks"],
        "home": home_blocks.home_view(content)["blocks"],
    }


def test_the_renderer_knows_every_type_literal_in_the_slack_edge():
    known = renderer_types()
    emitted = emitted_literals()
    assert {"header", "section", "actions", "button", "input", "mrkdwn"} <= set(emitted), \
        "the scan of handlers/ found too little to be trusted"
    missing = {t: sorted(files) for t, files in emitted.items() if t not in known}
    assert not missing, f"sandbox/static/blockkit.js cannot render these types: {missing}"


def test_the_renderer_knows_every_type_the_builders_produce():
    produced = set().union(*(types_in(sample) for sample in bot_samples().values()))
    produced |= types_in(views.deny_modal(1, "R-1")) | types_in(home_blocks.home_view(
        home_blocks.HomeContent(user="U", now=NOW)))
    assert not produced - renderer_types()


# --- rendering, under node ---------------------------------------------------------------

HARNESS = """
const BK = require(process.argv[1]);
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
const ctx = {userName: (id) => ({U0LEAD: "Lee Lead", U0DEV: "Dev One"})[id] || id,
             channelName: (id) => ({C0APPROVALS: "approvals"})[id] || id,
             fileUrl: (id) => "/page/file/" + id};
const out = {};
for (const [name, c] of Object.entries(cases)) {
  const context = {...ctx, errors: c.errors || {}};
  if (c.view) out[name] = BK.renderView(c.view, context);
  else if (c.confirm) out[name] = BK.renderConfirm(c.confirm, context);
  else if (c.mrkdwn !== undefined) out[name] = BK.mrkdwn(c.mrkdwn, context);
  else out[name] = BK.renderBlocks(c.blocks, context);
}
process.stdout.write(JSON.stringify(out));
"""


def render(**cases) -> dict[str, str]:
    """Render each case (`blocks=`, `view=`, `confirm=` or `mrkdwn=`) with the real renderer."""
    result = subprocess.run([NODE, "-e", HARNESS, str(RENDERER)], input=json.dumps(cases),
                            capture_output=True, text=True, timeout=30, check=True)
    return json.loads(result.stdout)


class Page(HTMLParser):
    """The rendered HTML as a list of (tag, attributes) and its visible text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text += data

    def find(self, tag, **attrs) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(
            a.get(k.replace("_", "-")) == v for k, v in attrs.items())]


def section(text, **extra):
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


@needs_node
def test_every_bot_sample_renders_without_unknown_parts():
    rendered = render(**{name: {"blocks": sample} for name, sample in bot_samples().items()})
    for name, html in rendered.items():
        assert "bk-unknown" not in html, name
        assert "<script>" not in html, name
    assert "&lt;script&gt;alert(1)" in rendered["request"]
    approve = Page(rendered["request"]).find("button", data_action_id="approve")
    assert approve and approve[0]["data-value"] == "7" and "bk-primary" in approve[0]["class"]


@needs_node
def test_header_divider_context_and_image():
    html = render(case={"blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Access :key: <b>"}},
        {"type": "divider"},
        {"type": "context", "elements": [
            {"type": "image", "image_url": "https://x.test/i.png", "alt_text": "icon"},
            {"type": "mrkdwn", "text": "*bold* by <@U0LEAD>"},
            {"type": "plain_text", "text": "plain *not bold*"}]},
        {"type": "image", "image_url": "https://x.test/chart.png", "alt_text": "trend",
         "title": {"type": "plain_text", "text": "30 days"}},
        {"type": "image", "slack_file": {"id": "F123"}, "alt_text": "uploaded"},
    ]})["case"]
    page = Page(html)
    assert page.find("div", **{"class": "bk-header"}) and "Access 🔑 <b>" in page.text
    assert page.find("hr", **{"class": "bk-divider"})
    assert page.find("img", src="https://x.test/i.png", alt="icon")
    assert page.find("b") and "@Lee Lead" in page.text and "plain *not bold*" in page.text
    assert page.find("img", src="https://x.test/chart.png") and "30 days" in page.text
    assert page.find("img", src="/page/file/F123", alt="uploaded")


@needs_node
def test_section_with_fields_and_each_kind_of_accessory():
    confirm = blocks.confirm_dialog("Sure?", "It *cannot* be undone.", "Do it")
    html = render(
        fields={"blocks": [blocks.fields(("Requester", "<@U0DEV>"), ("Duration", "1h"))]},
        button={"blocks": [section("with a button", accessory=blocks.button(
            "Fix", "fix_it", "42", "danger", confirm))]},
        link={"blocks": [section("with a link", accessory=blocks.button(
            "Open", "console_link", "1") | {"url": "https://console.test/"})]},
        picture={"blocks": [section("with an image", accessory={
            "type": "image", "image_url": "https://x.test/a.png", "alt_text": "a"})]},
        menu={"blocks": [section("with a menu", accessory={
            "type": "overflow", "action_id": "more", "options": [
                {"text": {"type": "plain_text", "text": "Ack"}, "value": "ack"}]})]},
    )
    fields = Page(html["fields"])
    assert len(fields.find("div", **{"class": "bk-field"})) == 2 and "@Dev One" in fields.text
    button = Page(html["button"]).find("button", data_action_id="fix_it")[0]
    assert button["data-value"] == "42" and "bk-danger" in button["class"]
    assert json.loads(button["data-confirm"]) == confirm
    link = Page(html["link"]).find("button", data_action_id="console_link")[0]
    assert link["data-url"] == "https://console.test/"
    assert Page(html["picture"]).find("img", src="https://x.test/a.png")
    assert Page(html["menu"]).find("option", value="ack")


@needs_node
def test_actions_keep_block_ids_values_and_styles():
    html = render(case={"blocks": [blocks.actions(
        blocks.button("Approve", "approve", "3", "primary"),
        blocks.button("Deny", "deny", "3", "danger"),
        blocks.button("Later", "later", "3"), block_id="decide-3")]})["case"]
    page = Page(html)
    buttons = page.find("button")
    assert [b["data-action-id"] for b in buttons] == ["approve", "deny", "later"]
    assert {b["data-block-id"] for b in buttons} == {"decide-3"}
    assert "bk-primary" in buttons[0]["class"] and "bk-danger" in buttons[1]["class"]
    assert buttons[2]["class"] == "bk-button"


@needs_node
def test_modal_inputs_selects_dates_and_errors():
    modal = {**views.request_modal(parse_config({
        "admins": ["U0ADMIN"], "approvals_channel": "C0APPROVALS",
        "roles": {"dev": {"arn": "arn:aws:iam::123456789012:role/Dev", "max_duration": "1h",
                          "description": "Dev account"}}}), "C0G"), "id": "V1"}
    modal["blocks"].append({"type": "input", "block_id": "until", "label": {
        "type": "plain_text", "text": "Until"}, "element": {
        "type": "datepicker", "action_id": "until", "initial_date": "2026-12-01"}})
    modal["blocks"].append({"type": "input", "block_id": "team", "optional": True, "label": {
        "type": "plain_text", "text": "Team"}, "element": {
        "type": "static_select", "action_id": "team", "initial_option": {
            "text": {"type": "plain_text", "text": "Ops"}, "value": "ops"},
        "option_groups": [{"label": {"type": "plain_text", "text": "Teams"}, "options": [
            {"text": {"type": "plain_text", "text": "Ops"}, "value": "ops"}]}]}})
    html = render(case={"view": modal, "errors": {"duration": "9h is over the limit"}})["case"]
    page = Page(html)
    assert page.find("form", data_view_id="V1")
    assert "Request AWS access" in page.text and "Cancel" in page.text and "Request" in page.text
    assert page.find("option", value="dev") and "Dev account" in page.text
    assert page.find("input", type="text", value="1h", data_block_id="duration")
    assert page.find("textarea", data_block_id="reason")
    assert page.find("input", type="date", value="2026-12-01")
    assert page.find("optgroup", label="Teams")
    assert any("selected" in a for a in page.find("option", value="ops"))
    required = {a["data-input-block"] for a in page.find("div") if a.get("data-required")}
    assert required == {"role", "duration", "reason", "until"}
    assert "9h is over the limit" in page.text


@needs_node
def test_home_view_and_confirm_dialog():
    home = {**home_blocks.home_view(home_blocks.HomeContent(
        user="U0DEV", now=NOW, grants=[(request(status=Status.ACTIVE), grant())])), "id": "V9"}
    html = render(home={"view": home}, confirm={"confirm": blocks.confirm_dialog(
        "Revoke access?", "Your credentials *stop* working.", "Revoke")})
    page = Page(html["home"])
    assert page.find("div", data_view_id="V9") and "Your active access" in page.text
    assert page.find("button", data_action_id="revoke", data_value="7")
    dialog = Page(html["confirm"])
    assert "Revoke access?" in dialog.text and dialog.find("b")
    assert dialog.find("button", data_confirm_answer="yes")
    assert dialog.find("button", data_confirm_answer="no")


@needs_node
def test_mrkdwn_formatting_links_mentions_and_escaping():
    out = render(
        rich={"mrkdwn": "*b* _i_ ~s~ `c` snake_case_name :white_check_mark: <#C0APPROVALS>"},
        links={"mrkdwn": "<https://a.test/?x=1&amp;y=2|docs> <https://b.test/> "
                         "<javascript:alert(1)|bad> <!here>"},
        escaped={"mrkdwn": "typed &lt;!channel&gt; &amp; &lt;b&gt;"},
        quote={"mrkdwn": "intro\n>quoted *line*\n&gt; not a quote"},
        pre={"mrkdwn": "CLI\n```export A=<b>1</b>```"},
    )
    rich = Page(out["rich"])
    assert [t for t, _ in rich.tags] == ["b", "i", "s", "code", "span"]
    assert "snake_case_name" in rich.text and "✅" in rich.text and "#approvals" in rich.text
    links = Page(out["links"])
    assert links.find("a", href="https://a.test/?x=1&y=2") and "docs" in links.text
    assert links.find("a", href="https://b.test/")
    assert not links.find("a", href="javascript:alert(1)") and "@here" in links.text
    escaped = Page(out["escaped"])
    assert escaped.tags == [] and escaped.text == "typed <!channel> & <b>"
    quote = Page(out["quote"])
    assert quote.find("blockquote") and "> not a quote" in quote.text
    pre = Page(out["pre"])
    assert pre.find("pre") and "export A=<b>1</b>" in pre.text and not pre.find("b")


@needs_node
def test_an_unknown_block_is_named_not_dropped():
    html = render(case={"blocks": [{"type": "rich_text", "elements": []}]})["case"]
    assert "bk-unknown" in html and "rich_text" in html
