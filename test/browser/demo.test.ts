import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayAndChromium } from '../helpers/browser.js';
import { lastText, say, texts, widget } from './widget-page.js';

// A shop's page on another origin (http://localhost:<port>; the gateway is http://127.0.0.1:<port>),
// served for real: chromium keeps pages of unknown address from loading a loopback address's script.
let shop: Server;
let SHOP = '';
beforeAll(async () => {
  shop = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(
      `<!doctype html><html><body><h1>Shop</h1><script src="${f.gw.url}/widget.js" data-app="default" async></script></body></html>`,
    );
  });
  await new Promise<void>((done) => shop.listen(0, '127.0.0.1', done));
  SHOP = `http://localhost:${(shop.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((done) => shop.close(() => done())));
const f = gatewayAndChromium(() => ({ SIMULATOR_DELTA_DELAY_MS: '10', ALLOWED_ORIGINS: SHOP }));

const DESKTOP = { viewport: { width: 1280, height: 800 } };
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

type Box = { x: number; y: number; width: number; height: number };
const overlap = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** What a new user notices on `/`: the snippet is whole and one box, nothing focused on load. */
async function checkSnippet(page: Page): Promise<void> {
  await expect.poll(() => page.locator('#snippet').textContent()).toContain(`${f.gw.url}/widget.js`);
  const pre = page.locator('pre');
  const fits = await pre.evaluate((el) => el.scrollWidth <= el.clientWidth);
  expect(fits, 'the snippet is clipped').toBe(true);
  const inner = await page.locator('#snippet').evaluate((el) => getComputedStyle(el).borderTopWidth);
  expect(inner, 'the snippet is a box inside a box').toBe('0px');
}

/** The widget's element that has the focus (null: none). */
const focusedInWidget = (page: Page) =>
  page.evaluate(() => document.querySelector('coze-chat')?.shadowRoot?.activeElement?.tagName ?? null);

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
  }, 40_000); // two visitors and a reload: longer than one test's default on a loaded machine

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

  it('/ on a desktop: the panel is open beside the page, nothing is focused, the snippet is whole', async () => {
    const context = await f.browser.newContext(DESKTOP);
    const page = await context.newPage();
    await page.goto(f.gw.url);
    const w = widget(page);
    await expect.poll(() => w.panel.isVisible()).toBe(true);
    await checkSnippet(page);
    expect(await focusedInWidget(page)).toBeNull();
    // The empty panel says what to do (the simulator's tricks, on this page).
    await expect
      .poll(() => w.log.evaluate((el) => getComputedStyle(el, '::before').content))
      .toContain('Simulator mode: try');
    // The launcher is not under the open panel; the text box and the send button line up.
    const panel = (await w.panel.boundingBox())!;
    expect(overlap((await w.launcher.boundingBox())!, panel)).toBe(false);
    const lined = async () => {
      const input = (await w.box.boundingBox())!;
      const send = (await page.locator('coze-chat .send').boundingBox())!;
      return { top: input.y - send.y, height: input.height - send.height };
    };
    expect(await lined()).toEqual({ top: 0, height: 0 });
    await w.box.fill('a line of text'); // the box grows with its text: one line stays one line
    expect(await lined()).toEqual({ top: 0, height: 0 });
    await w.box.fill('');
    // The demo's tool question gets words, not the tool's JSON.
    await say(page, 'where is my order 42?');
    await expect.poll(() => lastText(w.answers)).toContain('could not look up order 42');
    expect(await lastText(w.answers)).not.toContain('{');
    await context.close();
  });

  it('/ on a phone: the page is readable on load (panel closed, snippet whole); the open panel hides the launcher', async () => {
    const context = await f.browser.newContext(PHONE);
    const page = await context.newPage();
    await page.goto(f.gw.url);
    const w = widget(page);
    await expect.poll(() => w.launcher.isVisible()).toBe(true);
    expect(await w.panel.isVisible()).toBe(false);
    await checkSnippet(page);
    await w.launcher.click();
    await expect.poll(() => w.panel.isVisible()).toBe(true);
    expect(await w.panel.boundingBox()).toEqual({ x: 0, y: 0, width: 390, height: 844 });
    expect(await w.launcher.isVisible()).toBe(false);
    const input = (await w.box.boundingBox())!;
    const send = (await page.locator('coze-chat .send').boundingBox())!;
    expect([input.y, input.height]).toEqual([send.y, send.height]);
    await context.close();
  });

  it('loads markdown rendering only when the chat opens, from beside widget.js, also on another site', async () => {
    const context = await f.browser.newContext(DESKTOP);
    const page = await context.newPage();
    const chunks: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/widget/')) chunks.push(r.url());
    });
    await page.goto(`${SHOP}/`);
    const w = widget(page);
    await expect.poll(() => w.launcher.isVisible()).toBe(true);
    expect(chunks).toEqual([]);
    await w.launcher.click();
    await say(page, '#markdown');
    await expect.poll(() => page.locator('coze-chat .msg.bot strong').count()).toBe(1);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatch(new RegExp(`^${f.gw.url}/widget/markdown-[A-Z0-9]+\\.js$`));
    const res = await fetch(chunks[0]);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    for (const bad of ['/widget/chunks.json', '/widget/..%2fwidget.js', '/widget/markdown-NOSUCH00.js']) {
      expect((await fetch(f.gw.url + bad)).status, bad).toBe(404);
    }
    await context.close();
  });

  it('/ works under a strict Content-Security-Policy (no inline scripts or styles allowed)', async () => {
    const context = await f.browser.newContext(DESKTOP);
    const csp =
      "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:";
    await context.route(`${f.gw.url}/`, async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, headers: { ...res.headers(), 'content-security-policy': csp } });
    });
    const page = await context.newPage();
    const refused: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
    });
    await page.goto(f.gw.url);
    const w = widget(page);
    await expect.poll(() => page.locator('#mode').textContent()).toBe('Simulator mode');
    await expect.poll(() => w.panel.isVisible()).toBe(true);
    // Styled (the brand colour on the launcher), and markdown rendered by the lazy chunk.
    expect(await w.launcher.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(79, 70, 229)');
    await say(page, '#markdown');
    await expect.poll(() => page.locator('coze-chat .msg.bot strong').count()).toBe(1);
    expect(refused).toEqual([]);
    await context.close();
  });

  it('serves the demo pages without inline scripts or styles (a strict CSP needs no exception)', async () => {
    for (const path of ['/', '/demo/shop']) {
      const html = await (await fetch(f.gw.url + path)).text();
      expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
      expect(html).not.toMatch(/<style|\sstyle=/);
    }
    for (const path of ['/demo/demo.css', '/demo/demo.js', '/demo/shop.css']) {
      expect((await fetch(f.gw.url + path)).status, path).toBe(200);
    }
  });
});
