import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { JSDOM } from 'jsdom';
import { INBOX_CSP, renderInbox } from '../../local/inbox-page';
import type { Message } from '../../local/outbox';

/**
 * The inbox page in jsdom with its script running and `/_local/outbox` answered from `outbox`
 * (newest first): the page's own HTML and JavaScript, with the server's side played by a stub.
 */
const openInbox = (initial: Message[], outbox: { messages: Message[] }) => {
  const requests: string[] = [];
  const dom = new JSDOM(renderInbox(initial, [], 0.02), {
    url: 'http://127.0.0.1:3000/_local/inbox',
    runScripts: 'dangerously',
    pretendToBeVisual: true,
    beforeParse(window) {
      (window as unknown as { fetch: unknown }).fetch = async (url: string, init?: { method?: string }) => {
        const method = init?.method ?? 'GET';
        requests.push(`${method} ${url}`);
        if (method === 'DELETE') outbox.messages = [];
        return { ok: true, status: method === 'DELETE' ? 204 : 200, json: async () => outbox.messages };
      };
    },
  });
  const { document } = dom.window;
  const items = () => [...document.querySelectorAll<HTMLLIElement>('#messages li')];
  const visibleTexts = () =>
    items()
      .filter((li) => !li.hidden)
      .map((li) => li.querySelector('pre')?.textContent);
  /** Resolves once the page has fetched the outbox `n` more times (and rendered the answer). */
  const polls = async (n: number) => {
    const target = requests.filter((r) => r.startsWith('GET')).length + n;
    while (requests.filter((r) => r.startsWith('GET')).length < target)
      await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 5));
  };
  return { dom, document, items, visibleTexts, polls, requests };
};

const sms = (text: string, at: string, to = '+911234567896'): Message => ({ channel: 'SMS', to, text, at });
const OLD = sms('Your code is 111111', '2026-12-05T03:00:00.000Z');
const MID: Message = {
  channel: 'EMAIL',
  to: 'cy@example.com',
  text: 'Your code\n\nCode 222222',
  at: '2026-12-05T03:00:01.000Z',
};
const NEW = sms('Your code is 333333', '2026-12-05T03:00:02.000Z', '+6591234567');

describe('local inbox page', () => {
  it('runs only its own script, allowed by hash, and fetches only from its own origin', () => {
    const html = renderInbox([sms('Code 987654 <script>alert(1)</script>', OLD.at)]);
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
    expect(scripts).toHaveLength(1);
    const hash = createHash('sha256')
      .update(scripts[0] ?? '')
      .digest('base64');
    expect(INBOX_CSP).toContain(`script-src 'sha256-${hash}'`);
    expect(INBOX_CSP).toContain("connect-src 'self'");
    expect(INBOX_CSP).toContain("default-src 'none'");
    expect(html).toContain('Code 987654 &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('reloads itself only without JavaScript, and hides the controls that need it', () => {
    const html = renderInbox([]);
    expect(html).toMatch(/<noscript><meta http-equiv="refresh" content="3"><\/noscript>/);
    expect(html).toMatch(/<input id="filter"[^>]* hidden>/);
    expect(html).toMatch(/<button id="clear"[^>]* hidden>/);
  });

  it('adds new messages in place, keeping the elements and the selection of those already shown', async () => {
    const outbox = { messages: [MID, OLD] };
    const page = openInbox([MID, OLD], outbox);
    await page.polls(1);
    const [midRow, oldRow] = page.items();
    oldRow?.click();
    expect(oldRow?.classList.contains('selected')).toBe(true);

    outbox.messages = [NEW, MID, OLD];
    await page.polls(2);
    expect(page.visibleTexts()).toEqual([NEW.text, MID.text, OLD.text]);
    // The same elements, not re-rendered copies: a selection or a text selection in them survives.
    expect(page.items()[1]).toBe(midRow);
    expect(page.items()[2]).toBe(oldRow);
    expect(page.items().filter((li) => li.classList.contains('selected'))).toEqual([oldRow]);
    expect(oldRow?.getAttribute('aria-current')).toBe('true');
    expect(page.document.title).toBe('Local inbox (3)');
    expect(page.document.querySelector('meta[http-equiv="refresh"]')).toBeNull();
    page.dom.window.close();
  });

  it('drops a message the outbox no longer has, and its selection with it', async () => {
    const outbox = { messages: [NEW, OLD] };
    const page = openInbox([], outbox);
    await page.polls(1);
    page.items()[1]?.click();
    outbox.messages = [NEW];
    await page.polls(2);
    expect(page.visibleTexts()).toEqual([NEW.text]);
    expect(page.document.querySelectorAll('.selected')).toHaveLength(0);
    page.dom.window.close();
  });

  it('shows two identical messages twice, and a third identical one as a new row', async () => {
    const outbox = { messages: [OLD, OLD] };
    const page = openInbox([], outbox);
    await page.polls(1);
    const shown = page.items();
    outbox.messages = [OLD, OLD, OLD];
    await page.polls(2);
    expect(page.items()).toHaveLength(3);
    expect(page.items().slice(1)).toEqual(shown);
    page.dom.window.close();
  });

  it('filters by channel, recipient or text, and keeps the filter across updates', async () => {
    const outbox = { messages: [MID, OLD] };
    const page = openInbox([], outbox);
    await page.polls(1);
    const filter = page.document.getElementById('filter') as HTMLInputElement;
    expect(filter.hidden).toBe(false);
    filter.value = 'email';
    filter.dispatchEvent(new page.dom.window.Event('input'));
    expect(page.visibleTexts()).toEqual([MID.text]);
    expect(page.document.getElementById('status')?.textContent).toBe('1 of 2 messages match');

    outbox.messages = [NEW, MID, OLD];
    await page.polls(2);
    expect(page.visibleTexts()).toEqual([MID.text]);
    filter.value = '+6591';
    filter.dispatchEvent(new page.dom.window.Event('input'));
    expect(page.visibleTexts()).toEqual([NEW.text]);
    filter.value = '111111';
    filter.dispatchEvent(new page.dom.window.Event('input'));
    expect(page.visibleTexts()).toEqual([OLD.text]);
    page.dom.window.close();
  });

  it('clears the outbox with DELETE /_local/outbox and shows the empty list', async () => {
    const outbox = { messages: [NEW, OLD] };
    const page = openInbox([NEW, OLD], outbox);
    await page.polls(1);
    const clear = page.document.getElementById('clear') as HTMLButtonElement;
    expect(clear.hidden).toBe(false);
    clear.click();
    await page.polls(1);
    expect(page.requests).toContain('DELETE /_local/outbox');
    expect(page.items()).toEqual([]);
    expect(page.document.getElementById('status')?.textContent).toBe('No messages yet.');
    page.dom.window.close();
  });

  it('builds rows from text, never markup, whatever a message holds', async () => {
    const hostile = sms('<img src=x onerror="window.pwned=1">Code 444444', NEW.at);
    const page = openInbox([], { messages: [{ ...hostile, to: '<b>x</b>', template: '<i>t</i>' }] });
    await page.polls(1);
    expect(page.document.querySelectorAll('#messages img, #messages b, #messages i')).toHaveLength(0);
    expect(page.visibleTexts()).toEqual([hostile.text]);
    expect(page.items()[0]?.querySelector('.template')?.textContent).toBe('template <i>t</i>');
    page.dom.window.close();
  });
});
