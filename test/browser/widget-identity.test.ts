import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { signedSession } from '../helpers/client.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { hostPage, lastText, say, widget } from './widget-page.js';

const SECRET = 'widget-test-secret-0123456789';
let gw: TestGateway;
let browser: Browser;
beforeAll(async () => {
  gw = await startTestGateway({ GATEWAY_SECRET: SECRET, SESSION_TTL: '2' });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

/** What the host site's backend does: a signed POST /v1/sessions for its logged-in user. */
async function issueToken(): Promise<string> {
  const body = JSON.stringify({ user: { id: 'customer-42', name: 'Li Lei' }, nonce: crypto.randomUUID() });
  const res = await signedSession(gw.url, SECRET, body);
  if (res.status !== 201) throw new Error(`session refused: ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

describe('the widget in identified mode', () => {
  it('asks the host for a fresh token when the gateway says the session expired', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    let issued = 0;
    await page.exposeFunction('issueToken', () => {
      issued++;
      return issueToken();
    });
    const html = `<coze-chat identity="user" open></coze-chat>
      <script>document.querySelector('coze-chat').getToken = () => window.issueToken();</script>
      <script src="/widget.js" async></script>`;
    await page.goto(await hostPage(context, gw.url, 'identified', html));
    const w = widget(page);
    await say(page, 'my name is Li Lei');
    await expect.poll(() => lastText(w.answers)).toBe('Nice to meet you, Li Lei!');
    expect(issued).toBe(1);

    await new Promise((r) => setTimeout(r, 2500)); // SESSION_TTL=2: the token has expired
    await say(page, 'what is my name?');
    await expect.poll(() => lastText(w.answers)).toBe('Your name is Li Lei.');
    expect(issued).toBe(2);
    expect(await page.locator('coze-chat .meta.error').count()).toBe(0);
    await context.close();
  });

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
