import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { get, signedSession } from '../helpers/client.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { hostPage, lastText, say, widget } from './widget-page.js';

const SECRET = 'widget-test-secret-0123456789';
let gw: TestGateway;
let browser: Browser;
beforeAll(async () => {
  gw = await startTestGateway({ GATEWAY_SECRET: SECRET });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

/** What the host site's backend does: a signed POST /v1/sessions for its logged-in user. */
async function issueToken(url = gw.url): Promise<string> {
  const body = JSON.stringify({ user: { id: 'customer-42', name: 'Li Lei' }, nonce: crypto.randomUUID() });
  const res = await signedSession(url, SECRET, body);
  if (res.status !== 201) throw new Error(`session refused: ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

describe('the widget in identified mode', () => {
  it('asks the host for a fresh token when the gateway says the session expired', async () => {
    // A gateway of its own whose sessions last 3 s; the other tests keep the default lifetime.
    const short = await startTestGateway({ GATEWAY_SECRET: SECRET, SESSION_TTL: '3' });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      let issued = 0;
      let last = '';
      await page.exposeFunction('issueToken', async () => {
        issued++;
        last = await issueToken(short.url);
        return last;
      });
      const html = `<coze-chat identity="user" open></coze-chat>
        <script>document.querySelector('coze-chat').getToken = () => window.issueToken();</script>
        <script src="/widget.js" async></script>`;
      await page.goto(await hostPage(context, short.url, 'identified', html));
      const w = widget(page);
      await say(page, 'my name is Li Lei');
      await expect.poll(() => lastText(w.answers)).toBe('Nice to meet you, Li Lei!');
      // One token, or a second if a loaded machine let the first lapse before the first message.
      const before = issued;
      expect(before).toBeGreaterThanOrEqual(1);

      // Once the gateway refuses the widget's token as expired, the next message fetches a new one.
      await expect
        .poll(async () => (await get(short.url, '/v1/conversations', last)).status, { timeout: 15_000 })
        .toBe(401);
      await say(page, 'what is my name?');
      await expect.poll(() => lastText(w.answers)).toBe('Your name is Li Lei.');
      expect(issued).toBe(before + 1);
      expect(await page.locator('coze-chat .meta.error').count()).toBe(0);
    } finally {
      await context.close();
      await short.stop();
    }
  }, 45_000);

  it('takes a token from the token attribute', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const html = `<coze-chat open token="${await issueToken()}"></coze-chat><script src="/widget.js" async></script>`;
    await page.goto(await hostPage(context, gw.url, 'token-attr', html));
    await say(page, 'hello');
    await expect.poll(() => lastText(widget(page).answers)).toBe('You said: hello');
    await context.close();
  });
});
