import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { gatewayAndChromium } from '../helpers/browser.js';
import { hostPage, lastText, say, scriptTag, widget } from './widget-page.js';

const f = gatewayAndChromium(() => {
  const dir = mkdtempSync(join(tmpdir(), 'cg-wtools-'));
  const file = join(dir, 'apps.yaml');
  const server = join(import.meta.dirname, '../fixtures/order-mcp-server.mjs');
  writeFileSync(
    file,
    `apps:
  - id: default
    bot_id: "7500000000000000001"
    mcp_servers:
      orders: { command: "${process.execPath}", args: ["${server}"] }
    tools:
      - { name: get_order_status, type: mcp, server: orders, tool: hang, timeout_ms: 1500 }
    rate_limits: { user: &l { per_minute: 100000, burst: 100000 }, ip: *l, sessions_per_ip: *l }
`,
  );
  return { GATEWAY_CONFIG: file };
});

it('shows a "looking that up" line while a tool runs, then the answer', async () => {
  const context = await f.browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(await hostPage(context, f.gw.url, 'tools', scriptTag()));
  const w = widget(page);
  await page.getByRole('button', { name: 'Open chat' }).click();
  await say(page, 'where is my order 42?');
  const looking = () =>
    page.evaluate(() =>
      document
        .querySelector('coze-chat')!
        .shadowRoot!.querySelector('.msg.bot .typing')
        ?.getAttribute('data-l'),
    );
  await expect.poll(looking).toBe('Looking that up…');
  await expect.poll(() => lastText(w.answers)).toContain('did not answer within 1.5 s');
  await context.close();
});
