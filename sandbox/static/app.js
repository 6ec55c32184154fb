/* The Gatehouse sandbox page: a demo Slack workspace in one page, talking to the real bot.
 *
 * The page polls /page/version and re-reads /page/state?user=… when it moves. Whatever a
 * demo user does (a command, a click, a form) is POSTed to /page/…; the server sends it to
 * the bot exactly as Slack would, and the bot's answers come back through the fake Slack.
 */
(function () {
  "use strict";

  const POLL_MS = 700;
  const COLORS = { U0ENGINEER: "var(--engineer)", U0LEAD: "var(--lead)",
    U0ADMIN: "var(--admin)", U0GATEHOUSE: "var(--bot)" };
  const ABOUT = {
    general: "Type <code>/access …</code> commands here; answers only you can see appear below.",
    approvals: "Gatehouse posts requests here for approvers; each request's thread tells " +
      "what happened next.",
    hygiene: "The IAM hygiene digest is posted here (as Ada: <code>/access digest</code>).",
    dm: "Your private conversation with Gatehouse: credentials arrive here. " +
      "<b>Home</b> shows your access at a glance.",
  };
  const FIRST_REQUEST = "/access request prod-readonly 1h check the logs";

  const page = {
    user: sessionStorage.getItem("gatehouse.user") || "",
    channel: sessionStorage.getItem("gatehouse.channel") || "C0GENERAL",
    tab: "messages",
    thread: null,
    data: null,
    version: -1,
    shownModal: "",
    offline: false,
    seen: JSON.parse(sessionStorage.getItem("gatehouse.seen") || "{}"),
  };
  const $ = (id) => document.getElementById(id);
  const esc = (text) => BlockKit.escape(text);

  // ---- talking to the sandbox -----------------------------------------------------------

  async function getJSON(url) {
    const response = await fetch(url, { cache: "no-store" });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.json();
  }

  async function post(path, body) {
    const response = await fetch(path, { method: "POST", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json" } });
    const answer = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
    if (!response.ok || answer.error) {
      toast(answer.error || `The sandbox answered HTTP ${response.status}.`, true);
      return null;
    }
    refresh();
    return answer;
  }

  async function refresh() {
    const data = await getJSON(`/page/state?user=${encodeURIComponent(page.user)}`);
    page.data = data;
    page.version = data.version;
    if (!page.user) page.user = data.me;
    render();
  }

  async function poll() {
    try {
      const { version } = await getJSON("/page/version");
      if (page.offline) toast("The sandbox is back.");
      page.offline = false;
      if (version !== page.version) await refresh();
    } catch (error) {
      if (!page.offline) toast("The sandbox is not answering: is `python bot.py sandbox` " +
        "still running?", true, 0);
      page.offline = true;
    }
    setTimeout(poll, POLL_MS);
  }

  // ---- helpers --------------------------------------------------------------------------

  function ctx(extra) {
    const data = page.data;
    return {
      userName: (id) => (data.users[id] || { name: id }).name,
      channelName: (id) => {
        const found = data.channels.find((c) => c.id === id);
        return found ? found.name : id;
      },
      fileUrl: (id) => `/page/file/${encodeURIComponent(id)}`,
      ...(extra || {}),
    };
  }

  function me() {
    return page.data.demo.users.find((u) => u.id === page.user) || page.data.demo.users[0];
  }

  function dmChannel() {
    return page.data.channels.find((c) => c.kind === "dm");
  }

  function currentChannel() {
    if (page.channel === "app") return dmChannel();
    return page.data.channels.find((c) => c.id === page.channel) || page.data.channels[0];
  }

  function avatar(userId, size) {
    const user = page.data.users[userId] || { name: userId };
    const color = COLORS[userId] || "#777";
    return `<span class="avatar ${size || ""}" style="background:${color}">` +
      `${esc(user.name.slice(0, 1))}</span>`;
  }

  function clockTime(ts) {
    const date = new Date(parseFloat(ts) * 1000);
    return date.toISOString().slice(11, 16);
  }

  function ephemeralsIn(channel) {
    const general = page.data.demo.channels.general;
    return page.data.ephemerals.filter((e) =>
      e.channel === channel.id || (!e.channel && channel.id === general));
  }

  function itemCount(channel) {
    return channel.messages.length + ephemeralsIn(channel).length +
      channel.messages.reduce((sum, m) => sum + m.replies.length, 0);
  }

  function markSeen(channel) {
    const seen = page.seen[page.user] || (page.seen[page.user] = {});
    seen[channel.id] = itemCount(channel);
    sessionStorage.setItem("gatehouse.seen", JSON.stringify(page.seen));
  }

  function unread(channel) {
    const seen = (page.seen[page.user] || {})[channel.id] || 0;
    return Math.max(0, itemCount(channel) - seen);
  }

  let toastTimer = null;
  function toast(text, isError, millis) {
    const element = $("toast");
    element.textContent = text;
    element.className = "toast" + (isError ? " error" : "");
    element.hidden = false;
    clearTimeout(toastTimer);
    if (millis !== 0) toastTimer = setTimeout(() => { element.hidden = true; }, millis || 4500);
  }

  // ---- rendering ------------------------------------------------------------------------

  function render() {
    renderWho();
    renderSidebar();
    renderHeader();
    renderTimeline();
    renderComposer();
    renderThread();
    renderModal();
    $("clock-now").textContent = page.data.clock.label;
  }

  function renderWho() {
    $("who-switch").innerHTML = page.data.demo.users.map((user) =>
      `<button type="button" class="who-button" role="radio" data-user="${esc(user.id)}"` +
      ` aria-checked="${user.id === page.user}">${avatar(user.id, "small")}` +
      `<span>${esc(user.name.split(" ")[0])}</span>` +
      `<span class="who-part">${esc(user.part)}</span></button>`).join("");
  }

  function channelItem(channel, label, key) {
    const active = (page.channel === key) ? " active" : "";
    const count = active ? 0 : unread(channel);
    return `<li class="channel-item${active}${count ? " unread" : ""}" data-open="${esc(key)}">` +
      `${label}${count ? `<span class="badge">${count}</span>` : ""}</li>`;
  }

  function renderSidebar() {
    const channels = page.data.channels.filter((c) => c.kind === "channel");
    $("channel-list").innerHTML = channels.map((c) =>
      channelItem(c, `# ${esc(c.name)}`, c.id)).join("");
    $("app-list").innerHTML = channelItem(dmChannel(),
      `${avatar("U0GATEHOUSE", "small")} Gatehouse`, "app");
    renderHint();
  }

  function renderHint() {
    if ($("hint-steps").childElementCount) return;
    const steps = [
      [`<b>As Erin</b> (engineer), ask for access in #general:<br>` +
        `<code>${esc(FIRST_REQUEST)}</code>`, "Type it for me", "request"],
      [`<b>As Lee</b> (lead), open #approvals and click <b>Approve</b>.`,
        "Go to #approvals as Lee", "approve"],
      [`<b>As Erin</b>, open <b>Gatehouse</b>: <b>Messages</b> holds the credentials, ` +
        `<b>Home</b> shows the grant.`, "Open Gatehouse as Erin", "credentials"],
      [`Let time pass: press <b>+1 h</b> twice at the top. The grant expires and the ` +
        `message no longer shows the credentials.`, "", ""],
    ];
    $("hint-steps").innerHTML = steps.map(([text, label, step]) => `<li>${text}` +
      `${label ? `<button type="button" class="hint-go" data-step="${step}">${label}</button>`
        : ""}</li>`).join("");
    $("hint-more").innerHTML = "More: <code>/access request</code> alone opens a form; " +
      "<code>sandbox</code> is approved at once; <code>prod-admin</code> needs Lee and Ada; " +
      "<code>prod/readonly</code> is a role in the prod account (also staging, dev); " +
      "<code>prod/admin</code> is an IAM Identity Center permission set (also dev): " +
      "granted as an assignment you open at the access portal, removed when it expires; " +
      "<code>/access rotate-key</code> as Erin; <code>/access digest</code> as Ada; " +
      "<code>deploy</code> needs a ticket (<code>CHG-1</code>) and is approved by the " +
      "<code>@leads</code> group; <code>oncall</code> is approved at once while Erin is on " +
      "call in PagerDuty; as Ada, <code>/access breakglass incident 30m the site is down" +
      "</code>; <code>/access who-can deploy</code>.";
  }

  function renderHeader() {
    const channel = currentChannel();
    const isApp = page.channel === "app";
    $("channel-title").innerHTML = isApp ? `${avatar("U0GATEHOUSE", "small")} Gatehouse`
      : `# ${esc(channel.name)}`;
    const who = me();
    const about = isApp ? ABOUT.dm : (ABOUT[channel.name] || "");
    $("channel-about").innerHTML = `You are <b>${esc(who.name)}</b>, ${esc(who.part)}: ` +
      `${esc(who.does)}. ${about}`;
    $("tabs").hidden = !isApp;
    for (const tab of document.querySelectorAll(".tab")) {
      tab.classList.toggle("active", tab.dataset.tab === page.tab);
    }
  }

  function messageHtml(message, channel, options) {
    const user = page.data.users[message.user] || { name: message.user };
    const isBot = message.user === "U0GATEHOUSE";
    const meta = `<b>${esc(user.name)}</b>${isBot ? `<span class="app-badge">APP</span>` : ""}` +
      `<time title="${esc(new Date(parseFloat(message.ts) * 1000).toUTCString())}">` +
      `${clockTime(message.ts)}</time>` +
      `${message.edited && !message.deleted ? ` <span class="edited">(edited)</span>` : ""}`;
    let content;
    if (message.deleted) content = "This message was deleted.";
    else if (message.blocks.length) content = BlockKit.renderBlocks(message.blocks, ctx());
    else content = BlockKit.mrkdwn(message.text, ctx());
    const replies = (options.withReplies && message.replies.length)
      ? `<button type="button" class="replies-link" data-thread="${esc(message.ts)}">` +
        `${message.replies.length} ${message.replies.length === 1 ? "reply" : "replies"}</button>`
      : "";
    return `<div class="msg${message.deleted ? " deleted" : ""}" data-surface="message" ` +
      `data-channel="${esc(channel.id)}" data-ts="${esc(message.ts)}">` +
      `${avatar(message.user, "big")}<div class="msg-body"><div class="msg-meta">${meta}</div>` +
      `<div class="msg-content">${content}</div>${filesHtml(message.files)}${replies}</div></div>`;
  }

  function ephemeralHtml(ephemeral) {
    const content = ephemeral.blocks.length ? BlockKit.renderBlocks(ephemeral.blocks, ctx())
      : BlockKit.mrkdwn(ephemeral.text, ctx());
    const sender = ephemeral.source === "slackbot" ? "Slackbot" : "Gatehouse";
    return `<div class="msg ephemeral" data-surface="ephemeral" data-ts="${esc(ephemeral.ts)}"` +
      ` data-channel="${esc(ephemeral.channel || "")}">${avatar("U0GATEHOUSE", "big")}` +
      `<div class="msg-body"><div class="msg-meta"><b>${sender}</b>` +
      `<span class="app-badge">APP</span><time>${clockTime(ephemeral.ts)}</time>` +
      `<span class="only-you">Only visible to you</span></div>` +
      `<div class="msg-content">${content}</div></div></div>`;
  }

  function filesHtml(ids) {
    const files = (ids || []).map((id) => page.data.files[id]).filter(Boolean);
    if (!files.length) return "";
    return `<div class="files">${files.map((file) => `<div class="file">` +
      (file.is_image ? `<img src="${esc(file.url)}" alt="${esc(file.title)}">` : "") +
      `<a href="${esc(file.url)}" target="_blank" rel="noopener">${esc(file.title)}</a>` +
      `</div>`).join("")}</div>`;
  }

  function timelineHtml() {
    const channel = currentChannel();
    if (page.channel === "app" && page.tab === "home") return homeHtml();
    const items = channel.messages.map((m) => [m.ts, messageHtml(m, channel,
      { withReplies: true })]).concat(ephemeralsIn(channel).map((e) => [e.ts, ephemeralHtml(e)]));
    items.sort((a, b) => parseFloat(a[0]) - parseFloat(b[0]));
    markSeen(channel);
    if (!items.length) {
      const hint = page.channel === "app" ? "Gatehouse has not written to you yet."
        : "No messages here yet.";
      return `<div class="empty">${hint}</div>`;
    }
    return items.map((item) => item[1]).join("");
  }

  function homeHtml() {
    const home = page.data.home;
    if (!home) return `<div class="empty">Opening your Home…</div>`;
    return `<div data-surface="view" data-view-id="${esc(home.id)}">` +
      `${BlockKit.renderView(home, ctx())}</div>`;
  }

  let shownTimeline = "";
  function renderTimeline() {
    const element = $("timeline");
    const html = timelineHtml();
    if (html === shownTimeline) return;
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < 60;
    const keep = element.scrollTop;
    const switched = element.dataset.showing !== `${page.user}/${page.channel}/${page.tab}`;
    element.innerHTML = html;
    shownTimeline = html;
    element.dataset.showing = `${page.user}/${page.channel}/${page.tab}`;
    const isHome = page.channel === "app" && page.tab === "home";
    if (isHome) element.scrollTop = switched ? 0 : keep;
    else if (atBottom || switched) element.scrollTop = element.scrollHeight;
  }

  function renderComposer() {
    const isHome = page.channel === "app" && page.tab === "home";
    $("composer").hidden = isHome;
    const channel = currentChannel();
    const where = page.channel === "app" ? "Gatehouse" : `#${channel.name}`;
    $("composer-input").placeholder = `Message ${where} as ${me().name} — ` +
      "try /access help";
    updateComposerHint();
  }

  function updateComposerHint() {
    const text = $("composer-input").value.trim();
    let hint = "Type <code>/access help</code> for every command. Enter sends.";
    if (text.startsWith("/access request")) {
      hint = "Roles: " + page.data.demo.roles.map((r) => `<code>${esc(r.name)}</code> ` +
        `${esc(r.description || "")}`).join(" · ") + ". Durations: 15m, 1h, 1h30m.";
    } else if (/^\/access (rotate-key|audit)\b/.test(text)) {
      hint = "Name a person with <code>@</code>: a list of members opens as you type " +
        "(<code>@erin</code> is sent as a Slack mention).";
    } else if (text.startsWith("/")) {
      hint = "<code>/access request &lt;role&gt; &lt;duration&gt; &lt;reason&gt;</code>, " +
        "<code>/access list</code>, <code>/access pending</code>, <code>/access help</code>";
    }
    $("composer-hint").innerHTML = hint;
  }

  // ---- the member picker: `@` in the composer, as Slack offers ---------------------------

  const picker = { start: -1, options: [], active: 0 };

  function typedMention() {
    const input = $("composer-input");
    const before = input.value.slice(0, input.selectionStart);
    const match = /(^|\s)@([\w.-]*)$/.exec(before);
    return match ? { start: before.length - match[2].length - 1, query: match[2] } : null;
  }

  function members(query) {
    const wanted = query.toLowerCase();
    return Object.entries(page.data.users)
      .filter(([id]) => id !== "U0GATEHOUSE")
      .map(([id, user]) => ({ id, ...user }))
      .filter((user) => user.handle.toLowerCase().startsWith(wanted) ||
        user.name.toLowerCase().split(" ").some((part) => part.startsWith(wanted)));
  }

  function updatePicker() {
    const element = $("mention-picker");
    const typed = page.data && typedMention();
    picker.options = typed ? members(typed.query) : [];
    picker.start = typed ? typed.start : -1;
    picker.active = Math.min(picker.active, Math.max(0, picker.options.length - 1));
    element.hidden = !picker.options.length;
    element.innerHTML = picker.options.map((user, index) =>
      `<li class="mention-option${index === picker.active ? " active" : ""}" role="option" ` +
      `aria-selected="${index === picker.active}" data-handle="${esc(user.handle)}">` +
      `${avatar(user.id, "small")}<b>${esc(user.name)}</b>` +
      `<span class="mention-handle">@${esc(user.handle)}</span></li>`).join("");
  }

  function pickMember(handle) {
    const input = $("composer-input");
    const end = input.selectionStart;
    const text = input.value.slice(0, picker.start) + `@${handle} ` + input.value.slice(end);
    const cursor = picker.start + handle.length + 2;
    input.value = text;
    input.focus();
    input.setSelectionRange(cursor, cursor);
    picker.active = 0;
    updatePicker();
    updateComposerHint();
  }

  function onComposerKey(event) {
    if ($("mention-picker").hidden) return;
    const count = picker.options.length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      picker.active = (picker.active + (event.key === "ArrowDown" ? 1 : count - 1)) % count;
      updatePicker();
    } else if (event.key === "Enter" || event.key === "Tab") {
      pickMember(picker.options[picker.active].handle);
    } else if (event.key === "Escape") {
      $("mention-picker").hidden = true;
    } else {
      return;
    }
    event.preventDefault();
  }

  function renderThread() {
    const panel = $("thread");
    const channel = page.thread && page.data.channels.find((c) => c.id === page.thread.channel);
    const parent = channel && channel.messages.find((m) => m.ts === page.thread.ts);
    if (!parent || page.channel !== page.thread.channel) {
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
    const replies = parent.replies.map((r) => messageHtml(r, channel, {})).join("");
    panel.innerHTML = `<div class="thread-header">Thread in #${esc(channel.name)}` +
      `<button type="button" class="thread-close" aria-label="Close thread">×</button></div>` +
      `<div class="thread-body">${messageHtml(parent, channel, {})}` +
      `<div class="thread-divider">${parent.replies.length} ` +
      `${parent.replies.length === 1 ? "reply" : "replies"}</div>${replies}</div>`;
  }

  function renderModal() {
    const overlay = $("modal-overlay");
    const modal = page.data.modal;
    const key = modal ? `${modal.id}/${modal.hash}` : "";
    if (key === page.shownModal) return;
    page.shownModal = key;
    overlay.hidden = !modal;
    overlay.innerHTML = modal ? `<div data-surface="view" data-view-id="${esc(modal.id)}">` +
      `${BlockKit.renderView(modal, ctx())}</div>` : "";
    const first = overlay.querySelector("input, textarea, select");
    if (first) first.focus();
  }

  // ---- what a demo user does ------------------------------------------------------------

  function switchUser(userId) {
    page.user = userId;
    page.thread = null;
    sessionStorage.setItem("gatehouse.user", userId);
    refresh().then(() => { if (page.channel === "app" && page.tab === "home") openHome(); });
  }

  function openChannel(key) {
    page.channel = key;
    page.thread = null;
    sessionStorage.setItem("gatehouse.channel", key);
    if (key === "app" && page.tab === "home") openHome();
    render();
  }

  function openTab(tab) {
    page.tab = tab;
    if (tab === "home") openHome();
    render();
  }

  function openHome() {
    post("/page/home", { user: page.user });
  }

  async function send(event) {
    event.preventDefault();
    const input = $("composer-input");
    const text = input.value.trim();
    if (!text) return;
    const channel = currentChannel();
    input.value = "";
    updateComposerHint();
    updatePicker();
    const answer = await post("/page/send", { user: page.user, channel: channel.id, text });
    if (!answer) input.value = text;
  }

  function confirmFirst(confirm) {
    if (!confirm) return Promise.resolve(true);
    const overlay = $("confirm-overlay");
    overlay.innerHTML = BlockKit.renderConfirm(JSON.parse(confirm), ctx());
    overlay.hidden = false;
    return new Promise((resolve) => {
      overlay.onclick = (event) => {
        const answer = event.target.closest("[data-confirm-answer]");
        if (!answer && event.target !== overlay) return;
        overlay.hidden = true;
        overlay.onclick = null;
        resolve(answer ? answer.dataset.confirmAnswer === "yes" : false);
      };
    });
  }

  function surfaceOf(element) {
    const holder = element.closest("[data-surface]");
    if (!holder) return null;
    const kind = holder.dataset.surface;
    if (kind === "view") return { kind, view_id: holder.dataset.viewId };
    return { kind, channel: holder.dataset.channel, ts: holder.dataset.ts };
  }

  async function clickAction(button) {
    if (!(await confirmFirst(button.dataset.confirm))) return;
    if (button.dataset.url) window.open(button.dataset.url, "_blank", "noopener");
    button.disabled = true;
    await post("/page/action", { user: page.user, surface: surfaceOf(button),
      action_id: button.dataset.actionId, value: button.dataset.value || "",
      block_id: button.dataset.blockId || null });
    button.disabled = false;
  }

  function modalValues(form) {
    const values = {};
    let missing = false;
    for (const block of form.querySelectorAll("[data-input-block]")) {
      const field = block.querySelector("[data-action-id]");
      if (!field) continue;
      const value = field.value.trim();
      const error = block.querySelector(".bk-error");
      error.textContent = "";
      if (!value && block.dataset.required) {
        error.textContent = "Please fill out this field.";
        missing = true;
      }
      values[block.dataset.inputBlock] = { [field.dataset.actionId]: value || null };
    }
    return missing ? null : values;
  }

  async function submitModal(event) {
    event.preventDefault();
    const form = event.target.closest(".bk-modal");
    const values = modalValues(form);
    if (!values) return;
    const answer = await post("/page/submit", { user: page.user,
      view_id: form.dataset.viewId, values });
    if (answer && answer.errors) {
      for (const [blockId, text] of Object.entries(answer.errors)) {
        const slot = form.querySelector(`[data-error-for="${CSS.escape(blockId)}"]`);
        if (slot) slot.textContent = text;
      }
    }
  }

  async function moveClock(button) {
    const minutes = parseInt(button.dataset.minutes, 10);
    for (const each of document.querySelectorAll(".clock-button")) each.disabled = true;
    const answer = await post("/page/clock", { minutes });
    for (const each of document.querySelectorAll(".clock-button")) each.disabled = false;
    if (answer) {
      toast(`Clock moved forward ${button.textContent.slice(1)} to ${answer.clock.label}; ` +
        `${answer.ran} scheduled ${answer.ran === 1 ? "job" : "jobs"} ran.`);
    }
  }

  function hintStep(step) {
    const [engineer, lead] = page.data.demo.users;
    const channels = page.data.demo.channels;
    const go = (channel) => {
      page.channel = channel;
      sessionStorage.setItem("gatehouse.channel", channel);
    };
    if (step === "request") {
      go(channels.general);
      switchUser(engineer.id);
      $("composer-input").value = FIRST_REQUEST;
      $("composer-input").focus();
    } else if (step === "approve") {
      go(channels.approvals);
      switchUser(lead.id);
    } else if (step === "credentials") {
      go("app");
      page.tab = "messages";
      switchUser(engineer.id);
    }
  }

  function onClick(event) {
    const target = event.target;
    const handlers = [
      [".who-button", (el) => switchUser(el.dataset.user)],
      ["[data-open]", (el) => openChannel(el.dataset.open)],
      [".tab", (el) => openTab(el.dataset.tab)],
      [".clock-button", (el) => moveClock(el)],
      [".replies-link", (el) => {
        page.thread = { channel: currentChannel().id, ts: el.dataset.thread };
        renderThread();
      }],
      [".thread-close", () => { page.thread = null; renderThread(); }],
      [".hint-go", (el) => hintStep(el.dataset.step)],
      [".mention-option", (el) => pickMember(el.dataset.handle)],
      ["[data-modal-close]", (el) => post("/page/close", { user: page.user,
        view_id: el.closest(".bk-modal").dataset.viewId })],
      ["[data-modal-submit]", (el) => submitModal({ target: el, preventDefault() {} })],
      [".bk-button[data-action-id]", (el) => clickAction(el)],
    ];
    for (const [selector, handle] of handlers) {
      const element = target.closest(selector);
      if (element) {
        if (element.tagName === "BUTTON") event.preventDefault();
        handle(element);
        return;
      }
    }
  }

  function onChange(event) {
    const select = event.target.closest("select[data-action-id]");
    if (select && !select.closest("[data-input-block]")) {
      toast("Menus outside forms are shown, but the sandbox only sends button clicks.", true);
    }
  }

  function start() {
    document.addEventListener("click", onClick);
    document.addEventListener("change", onChange);
    document.addEventListener("submit", (event) => {
      if (event.target.id === "composer") send(event);
      else submitModal(event);
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !$("modal-overlay").hidden) {
        const form = document.querySelector(".bk-modal");
        if (form) post("/page/close", { user: page.user, view_id: form.dataset.viewId });
      }
    });
    $("composer-input").addEventListener("input", () => {
      updateComposerHint();
      updatePicker();
    });
    $("composer-input").addEventListener("keydown", onComposerKey);
    $("composer-input").addEventListener("blur", () => setTimeout(() => {
      $("mention-picker").hidden = true;
    }, 150));
    refresh().then(poll, () => { toast("The sandbox is not answering.", true, 0); poll(); });
  }

  start();
})();
