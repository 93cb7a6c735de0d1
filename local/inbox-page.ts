import type { BusEntry } from './event-bus';
import type { Message } from './outbox';

/** Seconds between reloads of the inbox page. */
export const INBOX_REFRESH_SECONDS = 3;

/** Escapes text for HTML element content and double-quoted attributes. */
export const escapeHtml = (value: string): string =>
  value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

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
          <time datetime="${escapeHtml(m.at)}">${escapeHtml(m.at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</time>
        </div>
        <pre>${escapeHtml(m.text)}</pre>${eventList(eventsOf(m, events))}
      </li>`;

/**
 * The local inbox: every message the service would have delivered, newest first, reloading itself.
 * Self-contained (inline CSS, no script, no external assets); every value is escaped, because the
 * texts come from request bodies (templates) and may hold markup.
 */
export const renderInbox = (messages: Message[], events: BusEntry[] = []): string => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta http-equiv="refresh" content="${INBOX_REFRESH_SECONDS}">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Local inbox (${messages.length})</title>
    <style>
      body { font: 15px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #1d2430; }
      h1 { font-size: 1.3rem; }
      .hint { color: #5b6575; }
      ul { list-style: none; padding: 0; }
      .msg { border: 1px solid #d5dae1; border-left: 6px solid #8a94a6; border-radius: 6px; margin: 0 0 .75rem; padding: .6rem .8rem; }
      .sms { border-left-color: #2f7de1; } .email { border-left-color: #d9822b; } .voice { border-left-color: #7b4fd6; }
      .whatsapp { border-left-color: #25a244; } .zalo { border-left-color: #0068ff; }
      .meta { display: flex; flex-wrap: wrap; gap: .75rem; font-size: .85rem; color: #5b6575; }
      .channel { font-weight: 700; color: #1d2430; }
      .events { margin: .4rem 0 0; padding-left: 1.2rem; font-size: .85rem; color: #5b6575; }
      pre { white-space: pre-wrap; word-break: break-word; margin: .4rem 0 0; font: 14px/1.4 ui-monospace, monospace; }
    </style>
  </head>
  <body>
    <h1>Local inbox</h1>
    <p class="hint">Messages the local runtime would have delivered, newest first. This page reloads every
      ${INBOX_REFRESH_SECONDS} s. JSON: <a href="/_local/outbox">/_local/outbox</a>; lifecycle events: <a href="/_local/events">/_local/events</a>. Local only: it shows every code sent.</p>
    ${messages.length === 0 ? '<p class="empty">No messages yet.</p>' : `<ul>${messages.map((m) => row(m, events)).join('')}\n    </ul>`}
  </body>
</html>
`;
