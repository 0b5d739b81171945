import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { hostPage, lastText, say, scriptTag, texts, widget } from './widget-page.js';

let gw: TestGateway;
let browser: Browser;
beforeAll(async () => {
  gw = await startTestGateway({ SIMULATOR_DELTA_DELAY_MS: '10' });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

describe('the widget on a bad network', () => {
  it('queues a message while offline behind a banner, and sends it when back online', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(await hostPage(context, gw.url, 'offline', scriptTag('data-open')));
    const w = widget(page);
    await say(page, 'first');
    await expect.poll(() => lastText(w.answers)).toBe('You said: first');

    await context.setOffline(true);
    const banner = page.getByRole('status');
    await expect.poll(() => banner.isVisible()).toBe(true);
    expect(await banner.textContent()).toContain('offline');
    await say(page, 'sent later');
    await expect
      .poll(() => page.locator('coze-chat .msg.user .meta').last().textContent())
      .toBe('Will be sent when you are back online');
    expect(await w.answers.count()).toBe(1);

    await context.setOffline(false);
    await expect.poll(() => lastText(w.answers)).toBe('You said: sent later');
    expect(await banner.isVisible()).toBe(false);
    expect(await texts(w.answers)).toEqual(['You said: first', 'You said: sent later']);
    await context.close();
  });

  it('shows the whole answer once when the stream breaks off mid-answer', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // The first answer stream is cut after its `turn` event and two deltas.
    let cut = false;
    await context.route(`${gw.url}/v1/chat/stream`, async (route) => {
      if (cut) return route.continue();
      cut = true;
      const res = await route.fetch();
      const events = (await res.text()).split('\n\n');
      await route.fulfill({ response: res, body: `${events.slice(0, 3).join('\n\n')}\n\n` });
    });
    await page.goto(await hostPage(context, gw.url, 'cut', scriptTag('data-open')));
    const w = widget(page);
    await say(page, '#long 25');
    await expect
      .poll(() => lastText(w.answers).then((t) => t.split(' ').length), { timeout: 15_000 })
      .toBe(25);
    expect(await w.answers.count()).toBe(1);
    expect(await lastText(w.answers)).toMatch(/^alpha bravo charlie .* echo$/);
    await context.close();
  });
});
