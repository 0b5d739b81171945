import { describe, expect, it } from 'vitest';
import { gatewayAndChromium } from '../helpers/browser.js';
import { hostPage, lastText, say, scriptTag, texts, widget } from './widget-page.js';

const f = gatewayAndChromium({ SIMULATOR_DELTA_DELAY_MS: '15' });

describe('the widget: a conversation', () => {
  it('opens from the launcher and streams the answer in, with typing dots and follow-up chips', async () => {
    const context = await f.browser.newContext();
    const page = await context.newPage();
    await page.goto(await hostPage(context, f.gw.url, 'stream', scriptTag()));
    const w = widget(page);
    await page.getByRole('button', { name: 'Open chat' }).click();
    await expect.poll(() => w.panel.isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Close chat' }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'New conversation' }).isVisible()).toBe(true);

    // Every text the answer bubble shows on the way, and whether the typing dots were seen.
    await page.evaluate(() => {
      const root = document.querySelector('coze-chat')!.shadowRoot!;
      const seen: string[] = [];
      let typing = false;
      new MutationObserver(() => {
        const bubbles = root.querySelectorAll('.msg.bot .bubble');
        const text = (bubbles[bubbles.length - 1]?.textContent ?? '').trim();
        if (text && seen[seen.length - 1] !== text) seen.push(text);
        if (root.querySelector('.msg.bot .typing:not([hidden])')) typing = true;
      }).observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
      Object.assign(window, { seen, typingSeen: () => typing });
    });
    await say(page, '#long 40');
    await expect.poll(() => w.chips.count()).toBeGreaterThan(0);
    const final = await lastText(w.answers);
    expect(final.split(' ')).toHaveLength(40);
    const seen = (await page.evaluate('window.seen')) as string[];
    const partial = seen.filter((s) => s.length < final.length && final.startsWith(s));
    expect(partial.length).toBeGreaterThanOrEqual(3);
    expect(await page.evaluate('window.typingSeen()')).toBe(true);
    expect(await texts(w.chips)).toEqual(['What else can you do?', 'Can you tell me more?']);

    // A chip asks its question.
    await w.chips.first().click();
    await expect.poll(() => lastText(w.questions)).toBe('What else can you do?');
    await expect.poll(() => lastText(w.answers)).toBe('You said: What else can you do?');
    await context.close();
  });

  it('sends on Enter, makes a new line on Shift+Enter', async () => {
    const context = await f.browser.newContext();
    const page = await context.newPage();
    await page.goto(await hostPage(context, f.gw.url, 'keys', scriptTag('data-open')));
    const w = widget(page);
    await w.box.fill('line one');
    await w.box.press('Shift+Enter');
    await w.box.pressSequentially('line two');
    expect(await w.questions.count()).toBe(0);
    await w.box.press('Enter');
    await expect.poll(() => lastText(w.answers)).toBe('You said: line one\nline two');
    expect(await w.box.inputValue()).toBe('');
    await context.close();
  });

  it('counts answers that arrive while the panel is closed on the launcher', async () => {
    const context = await f.browser.newContext();
    const page = await context.newPage();
    await page.goto(await hostPage(context, f.gw.url, 'unread', scriptTag('data-open')));
    const w = widget(page);
    // 200 words at 15 ms each: the panel is closed long before the answer ends.
    await say(page, '#long 200');
    await page.getByRole('button', { name: 'Close chat' }).click();
    expect(await w.panel.isVisible()).toBe(false);
    await expect.poll(() => w.badge.textContent(), { timeout: 10_000 }).toBe('1');
    expect(await w.badge.isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Open chat (1 unread)' }).click();
    expect(await w.badge.isVisible()).toBe(false);
    expect(await w.launcher.getAttribute('aria-label')).toBe('Open chat');
    await context.close();
  });

  it('restores the history after a reload and goes on in the same conversation; "new conversation" starts afresh', async () => {
    const context = await f.browser.newContext();
    const page = await context.newPage();
    await page.goto(await hostPage(context, f.gw.url, 'history', scriptTag('data-open')));
    const w = widget(page);
    await say(page, 'my name is Zhang San');
    await expect.poll(() => lastText(w.answers)).toBe('Nice to meet you, Zhang San!');

    await page.reload();
    await expect.poll(() => w.questions.count()).toBe(1);
    expect(await texts(w.questions)).toEqual(['my name is Zhang San']);
    expect(await texts(w.answers)).toEqual(['Nice to meet you, Zhang San!']);
    await say(page, 'what is my name?');
    await expect.poll(() => lastText(w.answers)).toBe('Your name is Zhang San.');

    await page.getByRole('button', { name: 'New conversation' }).click();
    expect(await w.questions.count()).toBe(0);
    await say(page, 'what is my name?');
    await expect.poll(() => lastText(w.answers)).toBe("I don't know your name yet.");
    await page.reload();
    await expect.poll(() => w.questions.count()).toBe(1);
    expect(await lastText(w.answers)).toBe("I don't know your name yet.");
    await context.close();
  });
});
