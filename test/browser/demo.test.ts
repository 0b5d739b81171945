import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let browser: Browser;
beforeAll(async () => {
  gw = await startTestGateway({ SIMULATOR_DELTA_DELAY_MS: '10' });
  browser = await launchChromium();
  mkdirSync('test-results', { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

describe('the demo page in a real browser', () => {
  it('chats as a visitor, remembers the name, keeps history over a reload; another visitor is a stranger', async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    const page = await context.newPage();
    await page.goto(gw.url);
    await expect.poll(() => page.locator('#mode').textContent()).toBe('Simulator mode');

    const box = page.getByRole('textbox', { name: 'Message' });
    const log = page.getByRole('log');
    await box.fill('my name is Zhang San');
    await box.press('Enter');
    await expect
      .poll(() => log.locator('.assistant').first().textContent())
      .toBe('Nice to meet you, Zhang San!');
    await box.fill('what is my name?');
    await box.press('Enter');
    await expect.poll(() => log.locator('.assistant').nth(1).textContent()).toBe('Your name is Zhang San.');
    await page.screenshot({ path: 'test-results/demo-desktop.png' });

    await page.reload();
    await expect.poll(() => log.locator('.msg').count()).toBe(4);
    expect(await log.locator('.user').first().textContent()).toBe('my name is Zhang San');

    const stranger = await browser.newContext();
    const other = await stranger.newPage();
    await other.goto(gw.url);
    const otherBox = other.getByRole('textbox', { name: 'Message' });
    await otherBox.fill('what is my name?');
    await otherBox.press('Enter');
    await expect
      .poll(() => other.getByRole('log').locator('.assistant').first().textContent())
      .toBe("I don't know your name yet.");
    await stranger.close();
    await context.close();
  });

  it('shows what a bot sends as text: markup in an answer never runs', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    let alerted = false;
    page.on('dialog', (d) => {
      alerted = true;
      void d.dismiss();
    });
    await page.goto(gw.url);
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('<img src=x onerror=alert(1)>');
    await box.press('Enter');
    const answer = page.getByRole('log').locator('.assistant').first();
    await expect.poll(() => answer.textContent()).toBe('You said: <img src=x onerror=alert(1)>');
    expect(await page.locator('#log img').count()).toBe(0);
    expect(alerted).toBe(false);
    await context.close();
  });
});
