/* Block Kit to HTML for the Gatehouse sandbox page: blocks, elements, text objects, views.
 *
 * Every renderer returns an HTML string; text is escaped on the way out. Interactive
 * elements carry data-* attributes (action id, value, confirm dialog) that the page
 * turns into the requests Slack would send. Runs in the browser and under Node (tests).
 */
(function (root) {
  "use strict";

  const EMOJI = {
    alarm_clock: "⏰", arrows_counterclockwise: "🔄", bell: "🔔", bust_in_silhouette: "👤",
    chart_with_upwards_trend: "📈", chart_with_downwards_trend: "📉", clipboard: "📋",
    clock1: "🕐", closed_lock_with_key: "🔐", construction: "🚧", eyes: "👀",
    heavy_check_mark: "✔️", heavy_minus_sign: "➖", heavy_plus_sign: "➕", hourglass: "⌛",
    hourglass_flowing_sand: "⏳", information_source: "ℹ️", key: "🔑", large_blue_circle: "🔵",
    large_green_circle: "🟢", large_orange_circle: "🟠", large_yellow_circle: "🟡",
    lock: "🔒", mag: "🔍", new: "🆕", no_entry: "⛔", no_entry_sign: "🚫", ok: "🆗",
    red_circle: "🔴", rotating_light: "🚨", shield: "🛡️", sparkles: "✨", tada: "🎉",
    unlock: "🔓", warning: "⚠️", white_check_mark: "✅", white_circle: "⚪", x: "❌",
    zzz: "💤", wave: "👋", point_right: "👉", memo: "📝", busts_in_silhouette: "👥",
  };

  function esc(text) {
    return String(text == null ? "" : text)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  /* Slack sends &amp; &lt; &gt; in text; show them as the characters they stand for. */
  function decode(text) {
    return String(text).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  function emoji(text) {
    return text.replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] || whole);
  }

  function attr(name, value) {
    return value == null || value === "" ? "" : ` ${name}="${esc(value)}"`;
  }

  // ---- text objects ---------------------------------------------------------------------

  function plainText(object) {
    if (!object) return "";
    const text = typeof object === "string" ? object : object.text || "";
    const shown = object.emoji === false ? text : emoji(text);
    return esc(shown).replace(/\n/g, "<br>");
  }

  const INLINE = new RegExp([
    "`([^`\\n]+)`",                                // 1 code
    "<([^<>\\n]+)>",                                 // 2 link, mention
    "(?<![\\w*])\\*([^*\\n]+)\\*(?![\\w*])",          // 3 bold
    "(?<![\\w_])_([^_\\n]+)_(?![\\w_])",              // 4 italic
    "(?<![\\w~])~([^~\\n]+)~(?![\\w~])",              // 5 strike
  ].join("|"), "g");

  function textRun(raw) {
    return esc(emoji(decode(raw))).replace(/\n/g, "<br>");
  }

  function inline(raw, ctx) {
    const pattern = new RegExp(INLINE.source, "g");  // own state: this function recurses
    let html = "";
    let last = 0;
    for (let match = pattern.exec(raw); match; match = pattern.exec(raw)) {
      html += textRun(raw.slice(last, match.index));
      last = pattern.lastIndex;
      if (match[1] != null) html += `<code>${esc(decode(match[1]))}</code>`;
      else if (match[2] != null) html += link(match[2], ctx);
      else if (match[3] != null) html += `<b>${inline(match[3], ctx)}</b>`;
      else if (match[4] != null) html += `<i>${inline(match[4], ctx)}</i>`;
      else html += `<s>${inline(match[5], ctx)}</s>`;
    }
    return html + textRun(raw.slice(last));
  }

  function link(inside, ctx) {
    const bar = inside.indexOf("|");
    const target = bar < 0 ? inside : inside.slice(0, bar);
    const label = bar < 0 ? "" : inside.slice(bar + 1);
    if (/^@[UW]/.test(target)) {
      return `<span class="bk-mention">@${esc(ctx.userName(target.slice(1)))}</span>`;
    }
    if (/^#[CGD]/.test(target)) {
      const name = label || ctx.channelName(target.slice(1));
      return `<span class="bk-mention">#${esc(name)}</span>`;
    }
    if (target.startsWith("!")) {
      const special = label || "@" + target.slice(1).split("^")[0];
      return `<span class="bk-mention">${esc(decode(special))}</span>`;
    }
    const url = decode(target);
    if (!/^(https?:|mailto:)/i.test(url)) return textRun(`<${inside}>`);
    const text = label ? decode(label) : url;
    return `<a href="${esc(url)}" target="_blank" rel="noopener noreferrer">${esc(text)}</a>`;
  }

  /* Lines starting with ">" are quotes; an escaped "&gt;" typed by a user stays text. */
  function paragraphs(raw, ctx) {
    const lines = raw.split("\n");
    let html = "";
    let quote = [];
    let plain = [];
    const flush = () => {
      if (plain.length) html += inline(plain.join("\n"), ctx);
      if (quote.length) html += `<blockquote>${inline(quote.join("\n"), ctx)}</blockquote>`;
      plain = [];
      quote = [];
    };
    for (const line of lines) {
      const quoted = /^>\s?/.exec(line);
      if (quoted) {
        if (plain.length) flush();
        quote.push(line.slice(quoted[0].length));
      } else {
        if (quote.length) flush();
        plain.push(line);
      }
    }
    flush();
    return html;
  }

  function mrkdwn(object, ctx) {
    const raw = typeof object === "string" ? object : (object && object.text) || "";
    const parts = raw.split("```");
    return parts.map((part, index) => {
      if (index % 2 === 1 && index < parts.length - 1) {
        return `<pre class="bk-pre">${esc(decode(part.replace(/^\n/, "")))}</pre>`;
      }
      return paragraphs(index % 2 === 1 ? "```" + part : part, ctx);
    }).join("");
  }

  const TEXTS = {
    mrkdwn: mrkdwn,
    plain_text: plainText,
  };

  function text(object, ctx) {
    if (!object) return "";
    const render = TEXTS[object.type] || plainText;
    return render(object, ctx);
  }

  // ---- elements -------------------------------------------------------------------------

  function actionAttrs(element, ctx) {
    return attr("data-action-id", element.action_id) + attr("data-block-id", ctx.blockId) +
      attr("data-type", element.type);
  }

  function button(element, ctx) {
    const style = element.style ? ` bk-${element.style === "danger" ? "danger" : "primary"}` : "";
    return `<button type="button" class="bk-button${style}"${actionAttrs(element, ctx)}` +
      `${attr("data-value", element.value)}${attr("data-url", element.url)}` +
      `${attr("data-confirm", element.confirm && JSON.stringify(element.confirm))}>` +
      `${plainText(element.text)}${element.url ? " ↗" : ""}</button>`;
  }

  function options(element) {
    const initial = element.initial_option && element.initial_option.value;
    const one = (option) => `<option value="${esc(option.value)}"` +
      `${option.value === initial ? " selected" : ""}>${plainText(option.text)}` +
      `${option.description ? " — " + plainText(option.description) : ""}</option>`;
    const groups = (element.option_groups || []).map((group) =>
      `<optgroup label="${esc(group.label && group.label.text)}">` +
      `${(group.options || []).map(one).join("")}</optgroup>`).join("");
    const placeholder = element.placeholder ? element.placeholder.text : "Choose…";
    return `<option value=""${initial ? "" : " selected"} disabled>${esc(placeholder)}</option>` +
      (element.options || []).map(one).join("") + groups;
  }

  function staticSelect(element, ctx) {
    return `<select class="bk-select"${actionAttrs(element, ctx)}` +
      `${attr("data-confirm", element.confirm && JSON.stringify(element.confirm))}>` +
      `${options(element)}</select>`;
  }

  function overflow(element, ctx) {
    const items = (element.options || []).map((option) =>
      `<option value="${esc(option.value)}">${plainText(option.text)}</option>`).join("");
    return `<select class="bk-select bk-overflow"${actionAttrs(element, ctx)}` +
      `${attr("data-confirm", element.confirm && JSON.stringify(element.confirm))}` +
      ` title="More actions"><option value="" selected disabled>⋯</option>${items}</select>`;
  }

  function plainTextInput(element, ctx) {
    const common = `class="bk-input"${actionAttrs(element, ctx)}` +
      `${attr("placeholder", element.placeholder && element.placeholder.text)}` +
      `${attr("maxlength", element.max_length)}`;
    if (element.multiline) {
      return `<textarea rows="3" ${common}>${esc(element.initial_value || "")}</textarea>`;
    }
    return `<input type="text" ${common}${attr("value", element.initial_value)}>`;
  }

  function datepicker(element, ctx) {
    return `<input type="date" class="bk-input"${actionAttrs(element, ctx)}` +
      `${attr("value", element.initial_date)}>`;
  }

  function imageSource(element, ctx) {
    if (element.image_url) return element.image_url;
    const file = element.slack_file || {};
    return file.url || (file.id ? ctx.fileUrl(file.id) : "");
  }

  function imageElement(element, ctx) {
    return `<img class="bk-image-element" src="${esc(imageSource(element, ctx))}"` +
      ` alt="${esc(element.alt_text)}">`;
  }

  const ELEMENTS = {
    button: button,
    static_select: staticSelect,
    overflow: overflow,
    plain_text_input: plainTextInput,
    datepicker: datepicker,
    image: imageElement,
    mrkdwn: mrkdwn,
    plain_text: plainText,
  };

  function element(object, ctx) {
    const render = ELEMENTS[object && object.type];
    if (!render) return `<span class="bk-unknown">[${esc(object && object.type)}]</span>`;
    return render(object, ctx);
  }

  // ---- blocks ---------------------------------------------------------------------------

  function header(block) {
    return `<div class="bk-header">${plainText(block.text)}</div>`;
  }

  function section(block, ctx) {
    const fields = (block.fields || []).map((field) =>
      `<div class="bk-field">${text(field, ctx)}</div>`).join("");
    return `<div class="bk-section"><div class="bk-section-body">` +
      `${block.text ? `<div class="bk-text">${text(block.text, ctx)}</div>` : ""}` +
      `${fields ? `<div class="bk-fields">${fields}</div>` : ""}</div>` +
      `${block.accessory ? `<div class="bk-accessory">${element(block.accessory, ctx)}</div>` : ""}` +
      `</div>`;
  }

  function contextBlock(block, ctx) {
    const parts = (block.elements || []).map((part) => `<span>${element(part, ctx)}</span>`);
    return `<div class="bk-context">${parts.join("")}</div>`;
  }

  function divider() {
    return `<hr class="bk-divider">`;
  }

  function actionsBlock(block, ctx) {
    return `<div class="bk-actions">${(block.elements || []).map((e) => element(e, ctx)).join("")}` +
      `</div>`;
  }

  function imageBlock(block, ctx) {
    const title = block.title ? `<div class="bk-image-title">${plainText(block.title)}</div>` : "";
    return `<figure class="bk-image">${title}<img src="${esc(imageSource(block, ctx))}"` +
      ` alt="${esc(block.alt_text)}"></figure>`;
  }

  function input(block, ctx) {
    const error = (ctx.errors || {})[block.block_id];
    return `<div class="bk-input-block" data-input-block="${esc(block.block_id)}"` +
      `${block.optional ? "" : ` data-required="true"`}>` +
      `<label class="bk-label">${plainText(block.label)}` +
      `${block.optional ? ` <span class="bk-optional">(optional)</span>` : ""}</label>` +
      `${element(block.element || {}, ctx)}` +
      `${block.hint ? `<div class="bk-hint">${plainText(block.hint)}</div>` : ""}` +
      `<div class="bk-error" data-error-for="${esc(block.block_id)}">${esc(error || "")}</div>` +
      `</div>`;
  }

  const BLOCKS = {
    header: header,
    section: section,
    context: contextBlock,
    divider: divider,
    actions: actionsBlock,
    image: imageBlock,
    input: input,
  };

  function renderBlocks(blocks, ctx) {
    const context = withDefaults(ctx);
    return (blocks || []).map((block) => {
      const render = BLOCKS[block && block.type];
      const inner = render
        ? render(block, { ...context, blockId: block.block_id || "" })
        : `<div class="bk-unknown">This block (${esc(block && block.type)}) is not shown here.</div>`;
      return `<div class="bk-block"${attr("data-block-id", block && block.block_id)}>${inner}</div>`;
    }).join("");
  }

  // ---- views and dialogs ----------------------------------------------------------------

  function modal(view, ctx) {
    const submit = view.submit ? `<button type="submit" class="bk-button bk-primary" ` +
      `data-modal-submit>${plainText(view.submit)}</button>` : "";
    const close = plainText(view.close || { text: view.submit ? "Cancel" : "Close" });
    return `<form class="bk-modal" data-view-id="${esc(view.id)}" novalidate>` +
      `<div class="bk-modal-title">${plainText(view.title)}</div>` +
      `<div class="bk-modal-body">${renderBlocks(view.blocks, ctx)}</div>` +
      `<div class="bk-modal-footer"><button type="button" class="bk-button" data-modal-close>` +
      `${close}</button>${submit}</div></form>`;
  }

  function home(view, ctx) {
    return `<div class="bk-home" data-view-id="${esc(view.id)}">` +
      `${renderBlocks(view.blocks, ctx)}</div>`;
  }

  const VIEWS = {
    modal: modal,
    home: home,
  };

  function renderView(view, ctx) {
    const render = VIEWS[view && view.type];
    return render ? render(view, withDefaults(ctx)) : "";
  }

  function renderConfirm(confirm, ctx) {
    const context = withDefaults(ctx);
    const style = confirm.style === "danger" ? " bk-danger" : " bk-primary";
    return `<div class="bk-confirm" role="dialog">` +
      `<div class="bk-modal-title">${plainText(confirm.title || { text: "Are you sure?" })}</div>` +
      `<div class="bk-modal-body">${text(confirm.text, context)}</div>` +
      `<div class="bk-modal-footer">` +
      `<button type="button" class="bk-button" data-confirm-answer="no">` +
      `${plainText(confirm.deny || { text: "Cancel" })}</button>` +
      `<button type="button" class="bk-button${style}" data-confirm-answer="yes">` +
      `${plainText(confirm.confirm || { text: "Yes" })}</button></div></div>`;
  }

  function withDefaults(ctx) {
    return {
      userName: (id) => id,
      channelName: (id) => id,
      fileUrl: (id) => id,
      errors: {},
      ...(ctx || {}),
    };
  }

  const BlockKit = {
    renderBlocks, renderView, renderConfirm, mrkdwn: (raw, ctx) => mrkdwn(raw, withDefaults(ctx)),
    escape: esc, BLOCKS, ELEMENTS, TEXTS, VIEWS,
  };
  root.BlockKit = BlockKit;
  if (typeof module === "object" && module.exports) module.exports = BlockKit;
})(typeof window !== "undefined" ? window : globalThis);
