import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get } from '../helpers/client.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const ADMIN = 'admin-token-0123456789abcdef';
const SECRET = 'shop-secret-0123456789abcdef';
let gw: TestGateway;
let file: string;

beforeAll(async () => {
  file = join(mkdtempSync(join(tmpdir(), 'cg-admin-')), 'apps.yaml');
  writeFileSync(
    file,
    `apps:
  - id: shop
    target: { type: workflow, workflow_id: "7348293334459399999", app_id: "7348293334459300000" }
    secrets: ["${SECRET}"]
    allowed_origins: ["https://shop.example.com"]
    tool_hosts: ["shop.example.com"]
    tools: [{ name: get_order_status, type: http, url: "https://shop.example.com/tools/order" }]
    rate_limits: { sessions_per_ip: { per_minute: 30, burst: 5 } }
`,
  );
  gw = await startTestGateway({ GATEWAY_CONFIG: file, GATEWAY_ADMIN_TOKEN: ADMIN });
});
afterAll(() => gw?.stop());

describe('GET /admin/apps', () => {
  it("answers each app in the apps file's own words (snake_case), secrets masked", async () => {
    const r = await get(gw.url, '/admin/apps', ADMIN);
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).not.toContain(SECRET);
    // No camelCase key anywhere: what an operator reads is what they wrote.
    expect([...text.matchAll(/"([A-Za-z_]+)":/g)].map((m) => m[1]).filter((k) => /[A-Z]/.test(k))).toEqual(
      [],
    );
    expect(JSON.parse(text).apps).toEqual([
      {
        id: 'shop',
        target: {
          type: 'workflow',
          workflow_id: '7348293334459399999',
          app_id: '7348293334459300000',
          parameters: {},
          input_parameter: 'USER_INPUT',
        },
        tools: [
          {
            name: 'get_order_status',
            type: 'http',
            url: 'https://shop.example.com/tools/order',
            timeout_ms: 10000,
          },
        ],
        mcp_servers: {},
        secrets: ['***'],
        allowed_origins: ['https://shop.example.com'],
        visitors: true,
        session_ttl: 86400,
        max_message_chars: 4000,
        max_conversations_per_user: 100,
        ip_allowlist: [],
        rate_limits: {
          user: { per_minute: 60, burst: 10 },
          ip: { per_minute: 120, burst: 30 },
          app: { per_minute: 6000, burst: 600 },
          sessions_per_ip: { per_minute: 30, burst: 5 },
        },
      },
    ]);
  });
});
