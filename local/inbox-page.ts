import { createHash } from 'node:crypto';
import type { BusEntry } from './event-bus';
import type { Message } from './outbox';

/** Seconds between updates of the inbox page. */
export const INBOX_REFRESH_SECONDS = 3;

/** Escapes text for HTML element content and double-quoted attributes. */
export const escapeHtml = (value: string): string =>
  value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/**
 * An e-mail's HTML part, rendered. The markup comes from tenants and requests, so it is shown in
 * a frame with every sandbox restriction (no scripts, forms, popups or same-origin access) and a
 * CSP that blocks scripts and remote loads; `srcdoc` is escaped as an attribute value, so no quote
 * in the markup can end it and reach this page.
 */
const FRAME_CSP = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`;
const htmlPart = (html: string): string =>
  `\n        <iframe class="html" sandbox="" referrerpolicy="no-referrer" title="HTML part" srcdoc="${escapeHtml(FRAME_CSP + html)}"></iframe>`;

/** How a message's time is shown: `2026-12-05 03:04:05 UTC`. */
const shownTime = (at: string): string => at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

/** The events of the message's verification that concern its channel (or no channel), oldest first. */
const eventsOf = (m: Message, events: BusEntry[]): BusEntry[] =>
  m.verificationId === undefined
    ? []
    : events
        .filter(
          (e) =>
            e.detail.verificationId === m.verificationId &&
            (!('channel' in e.detail) || e.detail.channel === m.channel),
        )
        .reverse();

const eventList = (events: BusEntry[]): string =>
  events.length === 0
    ? ''
    : `
        <ol class="events">${events
          .map(
            (e) => `<li><code>${escapeHtml(e['detail-type'])}</code> <time>${escapeHtml(e.time)}</time></li>`,
          )
          .join('')}</ol>`;

const row = (m: Message, events: BusEntry[]): string => `
      <li class="msg ${escapeHtml(m.channel.toLowerCase())}">
        <div class="meta">
          <span class="channel">${escapeHtml(m.channel)}</span>
          <span class="to">${escapeHtml(m.to)}</span>
          ${m.template ? `<span class="template">template ${escapeHtml(m.template)}</span>` : ''}
          <time datetime="${escapeHtml(m.at)}">${escapeHtml(shownTime(m.at))}</time>
        </div>
        <pre>${escapeHtml(m.text)}</pre>${m.html ? htmlPart(m.html) : ''}${eventList(eventsOf(m, events))}
      </li>`;

/**
 * The page's one script. Every few seconds it fetches `/_local/outbox` and updates the list in
 * place: a message already shown keeps its element (so a selected message, a text selection and
 * the scroll position survive), new ones are inserted, cleared ones removed. It builds elements
 * with textContent only (the texts come from request bodies and may hold markup). Click (or Enter)
 * selects a message; the filter matches channel, recipient, template and text; Clear empties the
 * outbox (`DELETE /_local/outbox`). The interval comes from the list's data-refresh-ms.
 */
const SCRIPT = `
'use strict';
(() => {
  const FRAME_CSP = ${JSON.stringify(FRAME_CSP)};
  const list = document.getElementById('messages');
  const filter = document.getElementById('filter');
  const status = document.getElementById('status');
  const clear = document.getElementById('clear');
  const refreshMs = Number(list.dataset.refreshMs);
  const rows = new Map();
  let selected = null;
  let first = true;

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const rowFor = (m, key) => {
    const li = el('li', 'msg ' + String(m.channel).toLowerCase());
    li.dataset.key = key;
    li.tabIndex = 0;
    const meta = el('div', 'meta');
    meta.append(el('span', 'channel', m.channel), el('span', 'to', m.to));
    if (m.template) meta.append(el('span', 'template', 'template ' + m.template));
    const time = el('time', '', String(m.at).replace('T', ' ').replace(/\\.\\d+Z$/, ' UTC'));
    time.dateTime = m.at;
    meta.append(time);
    li.append(meta, el('pre', '', m.text));
    li.dataset.verification = m.verificationId || '';
    li.dataset.channel = m.channel;
    if (m.html) {
      // The same sandboxed, script-free frame as the server-rendered row (see htmlPart).
      const frame = el('iframe', 'html');
      frame.setAttribute('sandbox', '');
      frame.setAttribute('referrerpolicy', 'no-referrer');
      frame.title = 'HTML part';
      frame.srcdoc = FRAME_CSP + m.html;
      li.append(frame);
    }
    return li;
  };
  // Same message, same key: its fields, numbered from the oldest so that a new arrival never
  // renumbers the ones already shown.
  const keysOf = (messages) => {
    const seen = new Map();
    return messages
      .slice()
      .reverse()
      .map((m) => {
        const base = JSON.stringify([m.at, m.channel, m.to, m.text, m.template || null]);
        const n = (seen.get(base) || 0) + 1;
        seen.set(base, n);
        return base + '#' + n;
      })
      .reverse();
  };
  const show = () => {
    const q = filter.value.trim().toLowerCase();
    let shown = 0;
    for (const li of rows.values()) {
      li.hidden = q !== '' && !li.textContent.toLowerCase().includes(q);
      if (!li.hidden) shown += 1;
      const isSelected = li.dataset.key === selected;
      li.classList.toggle('selected', isSelected);
      if (isSelected) li.setAttribute('aria-current', 'true');
      else li.removeAttribute('aria-current');
    }
    const total = rows.size === 1 ? '1 message' : rows.size + ' messages';
    status.textContent =
      rows.size === 0 ? 'No messages yet.' : q ? shown + ' of ' + total + ' match' : total;
    document.title = 'Local inbox (' + rows.size + ')';
  };
  // The lifecycle events of each message's verification (its channel's, or no channel's), oldest
  // first, replaced in place on every update (a receipt arrives after its message).
  const showEvents = (events) => {
    for (const li of rows.values()) {
      const mine = events
        .filter(
          (e) =>
            li.dataset.verification !== '' &&
            e.detail.verificationId === li.dataset.verification &&
            (!('channel' in e.detail) || e.detail.channel === li.dataset.channel),
        )
        .reverse();
      const old = li.querySelector('ol.events');
      if (old) old.remove();
      if (mine.length === 0) continue;
      const ol = el('ol', 'events');
      for (const e of mine) {
        const item = el('li');
        item.append(el('code', '', e['detail-type']), ' ', el('time', '', e.time));
        ol.append(item);
      }
      li.append(ol);
    }
  };
  const render = (messages) => {
    if (first) {
      list.replaceChildren();
      first = false;
    }
    const keys = keysOf(messages);
    const current = new Set(keys);
    for (const [key, li] of rows) {
      if (!current.has(key)) {
        li.remove();
        rows.delete(key);
        if (selected === key) selected = null;
      }
    }
    let previous = null;
    messages.forEach((m, i) => {
      const key = keys[i];
      let li = rows.get(key);
      if (!li) {
        li = rowFor(m, key);
        rows.set(key, li);
      }
      const expected = previous ? previous.nextSibling : list.firstChild;
      if (li !== expected) list.insertBefore(li, expected);
      previous = li;
    });
    show();
  };
  let timer;
  const refresh = async () => {
    clearTimeout(timer);
    try {
      const response = await fetch('/_local/outbox', { cache: 'no-store' });
      if (!response.ok) throw new Error('outbox answered ' + response.status);
      render(await response.json());
      const events = await fetch('/_local/events', { cache: 'no-store' });
      showEvents(events.ok ? await events.json() : []);
    } catch (error) {
      status.textContent = 'Cannot reach the local server (' + error.message + '); retrying.';
    }
    timer = setTimeout(refresh, refreshMs);
  };
  const select = (target) => {
    const li = target.closest('li.msg');
    if (!li) return;
    selected = selected === li.dataset.key ? null : li.dataset.key;
    show();
  };
  list.addEventListener('click', (event) => {
    // A click that ends a text selection (to copy a code) does not toggle the selection.
    if (String(window.getSelection && window.getSelection()) === '') select(event.target);
  });
  list.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      select(event.target);
    }
  });
  filter.addEventListener('input', show);
  clear.addEventListener('click', async () => {
    clear.disabled = true;
    try {
      const response = await fetch('/_local/outbox', { method: 'DELETE' });
      if (!response.ok) throw new Error('clear answered ' + response.status);
    } catch (error) {
      status.textContent = 'Clear failed (' + error.message + ').';
    } finally {
      clear.disabled = false;
    }
    await refresh();
  });
  clear.hidden = false;
  filter.hidden = false;
  refresh();
})();
`;

/**
 * The Content-Security-Policy of the page: its own inline style and this one script (by hash), fetch
 * to the same origin, nothing else (no external asset, no other script, no form, no frame).
 */
export const INBOX_CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  `script-src 'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The local inbox: every message the service would have delivered, newest first. The server
 * renders the list (every value escaped: the texts come from request bodies and may hold markup);
 * the script keeps it current in place. Without JavaScript the page falls back to reloading
 * itself, and the filter and Clear controls stay hidden.
 */
export const renderInbox = (
  messages: Message[],
  events: BusEntry[] = [],
  refreshSeconds: number = INBOX_REFRESH_SECONDS,
): string => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <noscript><meta http-equiv="refresh" content="${refreshSeconds}"></noscript>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Local inbox (${messages.length})</title>
    <style>
      body { font: 15px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #1d2430; }
      h1 { font-size: 1.3rem; }
      .hint, #status { color: #5b6575; }
      .tools { display: flex; gap: .5rem; align-items: center; margin: 0 0 .75rem; }
      .tools input { flex: 1; font: inherit; padding: .3rem .5rem; }
      .tools button { font: inherit; padding: .3rem .8rem; }
      ul { list-style: none; padding: 0; }
      .msg { border: 1px solid #d5dae1; border-left: 6px solid #8a94a6; border-radius: 6px; margin: 0 0 .75rem; padding: .6rem .8rem; cursor: pointer; }
      .msg.selected { background: #fff7d6; outline: 2px solid #d9a400; }
      .sms { border-left-color: #2f7de1; } .email { border-left-color: #d9822b; } .voice { border-left-color: #7b4fd6; }
      .whatsapp { border-left-color: #25a244; } .zalo { border-left-color: #0068ff; }
      .meta { display: flex; flex-wrap: wrap; gap: .75rem; font-size: .85rem; color: #5b6575; }
      .channel { font-weight: 700; color: #1d2430; }
      .events { margin: .4rem 0 0; padding-left: 1.2rem; font-size: .85rem; color: #5b6575; }
      iframe.html { width: 100%; min-height: 12rem; border: 1px dashed #d5dae1; margin-top: .4rem; background: #fff; }
      pre { white-space: pre-wrap; word-break: break-word; margin: .4rem 0 0; font: 14px/1.4 ui-monospace, monospace; cursor: text; }
    </style>
  </head>
  <body>
    <h1>Local inbox</h1>
    <p class="hint">Messages the local runtime would have delivered, newest first, updated every
      ${refreshSeconds} s. Click a message to mark it. JSON: <a href="/_local/outbox">/_local/outbox</a>;
      lifecycle events: <a href="/_local/events">/_local/events</a>.
      Local only: it shows every code sent.</p>
    <div class="tools">
      <input id="filter" type="search" placeholder="Filter: channel, phone, e-mail or text" aria-label="Filter messages" hidden>
      <button id="clear" type="button" hidden>Clear</button>
    </div>
    <p id="status" role="status">${messages.length === 0 ? 'No messages yet.' : `${messages.length} message${messages.length === 1 ? '' : 's'}`}</p>
    <ul id="messages" data-refresh-ms="${refreshSeconds * 1000}">${messages.map((m) => row(m, events)).join('')}
    </ul>
    <script>${SCRIPT}</script>
  </body>
</html>
`;
