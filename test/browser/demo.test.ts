import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gatewayAndChromium } from '../helpers/browser.js';
import { lastText, say, texts, widget } from './widget-page.js';

const f = gatewayAndChromium({ SIMULATOR_DELTA_DELAY_MS: '10' });

describe('the demo pages in a real browser', () => {
  it('/ says simulator mode and shows the widget open; the chat remembers the name over a reload; another visitor is a stranger', async () => {
    const context = await f.browser.newContext({ viewport: { width: 1100, height: 760 } });
    const page = await context.newPage();
    await page.goto(f.gw.url);
    await expect.poll(() => page.locator('#mode').textContent()).toBe('Simulator mode');
    const w = widget(page);
    await expect.poll(() => w.panel.isVisible()).toBe(true);

    await say(page, 'my name is Zhang San');
    await expect.poll(() => lastText(w.answers)).toBe('Nice to meet you, Zhang San!');
    await say(page, 'what is my name?');
    await expect.poll(() => lastText(w.answers)).toBe('Your name is Zhang San.');
    await page.reload();
    await expect.poll(() => w.questions.count()).toBe(2);
    expect(await texts(w.questions)).toEqual(['my name is Zhang San', 'what is my name?']);

    const stranger = await f.browser.newContext();
    const other = await stranger.newPage();
    await other.goto(f.gw.url);
    await say(other, 'what is my name?');
    await expect.poll(() => lastText(widget(other).answers)).toBe("I don't know your name yet.");
    await stranger.close();
    await context.close();
  });

  it('/demo/shop loads the widget with one script tag on a product page', async () => {
    const context = await f.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${f.gw.url}/demo/shop`);
    expect(await page.locator('script[src$="widget.js"]').count()).toBe(1);
    expect(await page.locator('h1').textContent()).toBe('Linen Overshirt');
    await page.getByRole('button', { name: 'Open chat' }).click();
    expect(await widget(page).panel.getAttribute('aria-label')).toBe('Northwind assistant');
    await say(page, 'do you ship to Shanghai?');
    await expect.poll(() => lastText(widget(page).answers)).toBe('You said: do you ship to Shanghai?');
    await context.close();
  });

  it('serves /widget.js cacheable, with an ETag, under 35 KB gzipped', async () => {
    const res = await fetch(`${f.gw.url}/widget.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    const body = Buffer.from(await res.arrayBuffer());
    expect(gzipSync(body, { level: 9 }).length).toBeLessThanOrEqual(35 * 1024);
    const again = await fetch(`${f.gw.url}/widget.js`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });
});
