import { chromium } from 'playwright-core';
const url = process.argv[2] ?? 'http://127.0.0.1:18411/';
const tag = process.argv[3] ?? 'before';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
for (const [name, opts] of [
  ['desktop', { viewport: { width: 1280, height: 800 } }],
  ['phone', { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }],
]) {
  const c = await b.newContext(opts);
  const p = await c.newPage();
  p.on('console', (m) => console.log(name, 'console', m.type(), m.text()));
  await p.goto(url);
  await p.waitForTimeout(1500);
  await p.screenshot({ path: `/tmp/wshots/${tag}-${name}-load.png` });
  // open and chat
  const panelVisible = await p.locator('coze-chat .panel').isVisible();
  if (!panelVisible) await p.locator('coze-chat .launcher').click();
  await p.waitForTimeout(300);
  await p.screenshot({ path: `/tmp/wshots/${tag}-${name}-open.png` });
  await p.getByRole('textbox', { name: 'Message' }).fill('where is my order 42?');
  await p.getByRole('textbox', { name: 'Message' }).press('Enter');
  await p.waitForTimeout(2500);
  await p.screenshot({ path: `/tmp/wshots/${tag}-${name}-tool.png` });
  await c.close();
}
await b.close();
