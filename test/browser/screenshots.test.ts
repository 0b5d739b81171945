import { mkdirSync } from 'node:fs';
import type { BrowserContextOptions } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatewayAndChromium } from '../helpers/browser.js';
import { lastText, say, widget } from './widget-page.js';

// Deltas 10 ms apart: a long answer is still streaming when the panel is closed.
const f = gatewayAndChromium({ SIMULATOR_DELTA_DELAY_MS: '10' });
beforeAll(() => {
  mkdirSync('test-results', { recursive: true });
});

const SHOTS: [string, BrowserContextOptions][] = [
  ['widget-desktop-light', { viewport: { width: 1280, height: 800 }, colorScheme: 'light' }],
  ['widget-desktop-dark', { viewport: { width: 1280, height: 800 }, colorScheme: 'dark' }],
  [
    'widget-phone',
    { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
  ],
];

describe('screenshots of the widget on the shop page (look at them)', () => {
  for (const [name, options] of SHOTS) {
    it(name, async () => {
      const context = await f.browser.newContext(options);
      const page = await context.newPage();
      await page.goto(`${f.gw.url}/demo/shop`);
      await page.getByRole('button', { name: 'Open chat' }).click();
      await say(page, 'my name is Zhang San');
      await expect.poll(() => lastText(widget(page).answers)).toBe('Nice to meet you, Zhang San!');
      await say(page, '#markdown');
      await expect.poll(() => widget(page).chips.count()).toBe(2);
      await page.screenshot({ path: `test-results/${name}.png` });
      if (name === 'widget-phone') {
        const box = await widget(page).panel.boundingBox();
        expect(box).toEqual({ x: 0, y: 0, width: 390, height: 844 });
      }
      await context.close();
    });
  }
  it('widget-closed-unread', async () => {
    const context = await f.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${f.gw.url}/demo/shop`);
    await page.getByRole('button', { name: 'Open chat' }).click();
    await say(page, '#long 300');
    await page.getByRole('button', { name: 'Close chat' }).click();
    await expect.poll(() => widget(page).badge.isVisible()).toBe(true);
    await page.screenshot({ path: 'test-results/widget-closed-unread.png' });
    await context.close();
  });
});
