import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { hostPage, lastText, say, scriptTag } from './widget-page.js';

let gw: TestGateway;
let browser: Browser;
beforeAll(async () => {
  // One message, then the user's bucket is empty for a second: the second message gets 429.
  gw = await startTestGateway({ RATE_LIMIT_USER: '60/1' });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

describe('the widget in Chinese, and its error lines', () => {
  it('speaks zh-CN when the browser does', async () => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    const page = await context.newPage();
    await page.goto(await hostPage(context, gw.url, 'zh', scriptTag()));
    await page.getByRole('button', { name: '打开聊天' }).click();
    expect(await page.getByRole('textbox', { name: '消息' }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: '关闭聊天' }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: '新对话' }).isVisible()).toBe(true);
    expect(await page.getByRole('dialog').getAttribute('aria-label')).toBe('智能助手');
    await context.close();
  });

  it('shows a translated line with a retry control on a rate-limited send, never a raw code', async () => {
    // A gateway of its own whose user bucket refills once in 10 s, so that the second message is
    // refused however slowly this machine gets it sent; the retry then waits for the refill.
    const limited = await startTestGateway({ RATE_LIMIT_USER: '6/1' });
    const context = await browser.newContext({ locale: 'en-US' });
    try {
      const page = await context.newPage();
      await page.goto(
        await hostPage(context, limited.url, 'limited', scriptTag('data-open data-lang="zh-CN"')),
      );
      await page.getByRole('textbox', { name: '消息' }).fill('one');
      await page.getByRole('textbox', { name: '消息' }).press('Enter');
      const answers = page.locator('coze-chat .msg.bot .bubble');
      await expect.poll(() => lastText(answers)).toBe('You said: one');
      await page.getByRole('textbox', { name: '消息' }).fill('two');
      await page.getByRole('textbox', { name: '消息' }).press('Enter');
      const line = page.locator('coze-chat .msg.user .meta.error');
      await expect.poll(() => line.count()).toBe(1);
      expect(await line.locator('span').textContent()).toMatch(/^发送太频繁了，请 \d+ 秒后再试。$/);
      expect(await page.locator('coze-chat').evaluate((el) => el.shadowRoot?.textContent ?? '')).not.toMatch(
        /GW_/,
      );

      // Retried until the bucket has refilled (each early retry is refused again, with a new line).
      const retry = page.getByRole('button', { name: '重试' });
      await expect
        .poll(
          async () => {
            if ((await retry.count()) === 1) await retry.click();
            return lastText(answers);
          },
          { timeout: 25_000, interval: 500 },
        )
        .toBe('You said: two');
      expect(await line.count()).toBe(0);
    } finally {
      await context.close();
      await limited.stop();
    }
  }, 45_000);

  it('says the same in English', async () => {
    // A gateway of its own that allows one message a minute: the second is refused however slowly
    // this machine gets it sent.
    const limited = await startTestGateway({ RATE_LIMIT_USER: '1/1' });
    const context = await browser.newContext({ locale: 'en-US' });
    try {
      const page = await context.newPage();
      await page.goto(await hostPage(context, limited.url, 'limited-en', scriptTag('data-open')));
      await say(page, 'three');
      await expect.poll(() => page.locator('coze-chat .msg.bot').count()).toBe(1);
      await say(page, 'four');
      const line = page.locator('coze-chat .msg.user .meta.error span');
      await expect.poll(() => line.count()).toBe(1);
      expect(await line.textContent()).toMatch(/^Too many messages\. Please try again in \d+ s\.$/);
    } finally {
      await context.close();
      await limited.stop();
    }
  }, 45_000);
});
