import { describe, expect, it } from 'vitest';
import { gatewayAndChromium } from '../helpers/browser.js';
import { hostPage, lastText, say, scriptTag, texts, widget } from './widget-page.js';

// Recovery (reading a cut-off answer back from Coze) runs every second here.
const f = gatewayAndChromium({ SIMULATOR_DELTA_DELAY_MS: '10', RECOVERY_INTERVAL_MS: '1000' });

describe('the widget on a bad network', () => {
  it('queues a message while offline behind a banner, and sends it when back online', async () => {
    const context = await f.browser.newContext();
    const page = await context.newPage();
    await page.goto(await hostPage(context, f.gw.url, 'offline', scriptTag('data-open')));
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
    const context = await f.browser.newContext();
    const page = await context.newPage();
    // The first answer stream is cut after its `turn` event and two deltas.
    let cut = false;
    await context.route(`${f.gw.url}/v1/chat/stream`, async (route) => {
      if (cut) return route.continue();
      cut = true;
      const res = await route.fetch();
      const events = (await res.text()).split('\n\n');
      await route.fulfill({ response: res, body: `${events.slice(0, 3).join('\n\n')}\n\n` });
    });
    await page.goto(await hostPage(context, f.gw.url, 'cut', scriptTag('data-open')));
    const w = widget(page);
    await say(page, '#long 25');
    await expect
      .poll(() => lastText(w.answers).then((t) => t.split(' ').length), { timeout: 15_000 })
      .toBe(25);
    expect(await w.answers.count()).toBe(1);
    expect(await lastText(w.answers)).toMatch(/^alpha bravo charlie .* echo$/);
    await context.close();
  });

  it('follows an answer cut off upstream until the gateway recovers it: "reconnecting", then the whole answer, no error', async () => {
    const context = await f.browser.newContext();
    const page = await context.newPage();
    await page.goto(await hostPage(context, f.gw.url, 'upstream-cut', scriptTag('data-open')));
    const w = widget(page);
    // Coze's stream loses its socket after three deltas; the gateway ends the turn `interrupted`
    // (GW_UPSTREAM_TRUNCATED) and its recovery reads the whole answer from Coze a moment later.
    f.gw.simulator!.setFaults({ streamCutCount: 1, streamCutAfterDeltas: 3 });
    await say(page, '#long 25');
    const line = page.locator('coze-chat .msg.bot .meta');
    await expect.poll(() => line.textContent()).toBe('Connection lost. Reconnecting…');
    expect(await line.getAttribute('class')).toBe('meta'); // a note, not an error
    expect(await w.answers.count()).toBe(1);
    await expect
      .poll(() => lastText(w.answers).then((t) => t.split(' ').length), { timeout: 20_000 })
      .toBe(25);
    expect(await lastText(w.answers)).toMatch(/^alpha bravo charlie .* echo$/);
    expect(await w.answers.count()).toBe(1);
    expect(await page.locator('coze-chat .meta').count()).toBe(0);
    expect(await w.log.textContent()).not.toContain('unavailable');
    await context.close();
  });

  it('tells a bug of its own from a broken connection: logged, and a generic message with a retry', async () => {
    const context = await f.browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    // Stands in for a bug in the widget's own code: reading the first answer text throws once.
    await page.addInitScript(() => {
      const parse = JSON.parse;
      let thrown = false;
      JSON.parse = (text: string, ...rest) => {
        if (!thrown && typeof text === 'string' && text.startsWith('{"text"')) {
          thrown = true;
          throw new TypeError('a bug');
        }
        return parse(text, ...rest);
      };
    });
    await page.goto(await hostPage(context, f.gw.url, 'bug', scriptTag('data-open')));
    const w = widget(page);
    await say(page, 'hello');
    const failed = page.locator('coze-chat .msg.user .meta.error');
    await expect.poll(() => failed.textContent()).toBe('Something went wrong. Please try again.Retry');
    expect(errors.some((e) => e.startsWith('coze-chat: unexpected error'))).toBe(true);
    expect(await w.log.textContent()).not.toContain('Reconnecting');
    await failed.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => lastText(w.answers)).toBe('You said: hello');
    await context.close();
  });
});
