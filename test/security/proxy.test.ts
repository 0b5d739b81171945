// Behind the README's nginx (docs/deploy/nginx.conf, run as it is), a client that writes its own
// X-Forwarded-For chooses nothing: the gateway trusts only the proxies named in TRUST_PROXY, so
// the client's address is the one nginx saw. Clients here connect from distinct loopback
// addresses (127.0.0.2, .3, .4) so that "the address nginx saw" is a different address per client.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { signedHeaders } from '../../src/identity/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type Nginx, startNginx } from '../helpers/nginx.js';

const ORIGIN = 'https://shop.example.com';
const WALLED_SECRET = 'walled-secret-0123456789abcdef';

interface Reply {
  status: number;
  json: { token?: string; error?: { code: string } };
}

/** One HTTP request to `base`, sent from the local address `from`. */
function send(
  base: string,
  from: string,
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress: from,
        agent: false,
        // A browser sends its page's Origin; a host site's backend (signed sessions) sends none.
        headers: {
          'content-type': 'application/json',
          ...(headers['x-gateway-signature'] ? {} : { origin: ORIGIN }),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let gw: TestGateway;
let nginx: Nginx;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cg-proxy-'));
  const file = join(dir, 'apps.yaml');
  writeFileSync(
    file,
    `apps:
  - id: open
    bot_id: "7500000000000000001"
    allowed_origins: ["${ORIGIN}"]
    rate_limits:
      sessions_per_ip: { per_minute: 1, burst: 3 }
      ip: { per_minute: 1, burst: 2 }
      user: { per_minute: 100000, burst: 100000 }
  - id: walled
    bot_id: "7500000000000000001"
    secrets: ["${WALLED_SECRET}"]
    visitors: false
    ip_allowlist: ["127.0.0.3"]
`,
  );
  // TRUST_PROXY names nginx's address as the gateway sees it, as the README says.
  gw = await startTestGateway({ GATEWAY_CONFIG: file, TRUST_PROXY: '127.0.0.1' });
  nginx = await startNginx([gw.url]);
});
afterAll(async () => {
  await nginx?.stop();
  await gw?.stop();
});

const spoof = (i: number) => ({ 'x-forwarded-for': `203.0.113.${i}, 198.51.100.${i}` });

describe('behind nginx with TRUST_PROXY naming it', () => {
  it('counts new sessions per real client address, whatever X-Forwarded-For the client sends', async () => {
    const codes: number[] = [];
    for (let i = 1; i <= 5; i++) {
      codes.push(
        (await send(nginx.url, '127.0.0.2', '/v1/sessions/visitor', '{"app":"open"}', spoof(i))).status,
      );
    }
    expect(codes).toEqual([201, 201, 201, 429, 429]);
    // Another client (another address as nginx sees it) has its own bucket.
    expect(
      (await send(nginx.url, '127.0.0.4', '/v1/sessions/visitor', '{"app":"open"}', spoof(9))).status,
    ).toBe(201);
  });

  it('counts messages per real client address across rotated X-Forwarded-For values', async () => {
    const session = await send(nginx.url, '127.0.0.5', '/v1/sessions/visitor', '{"app":"open"}');
    const auth = { authorization: `Bearer ${session.json.token}` };
    const statuses: number[] = [];
    const codes: (string | undefined)[] = [];
    for (let i = 1; i <= 4; i++) {
      const r = await send(nginx.url, '127.0.0.5', '/v1/chat', '{"message":"hello"}', {
        ...auth,
        ...spoof(i),
      });
      statuses.push(r.status);
      codes.push(r.json.error?.code);
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect(codes.slice(2)).toEqual(['GW_RATE_LIMITED', 'GW_RATE_LIMITED']);
  });

  it("keeps an app's ip_allowlist: a forged address in the header does not get in, the real one does", async () => {
    const signed = (user: string) => {
      const body = JSON.stringify({ app: 'walled', user: { id: user } });
      return { body, headers: signedHeaders(WALLED_SECRET, body) as Record<string, string> };
    };
    const a = signed('mallory');
    const forged = await send(nginx.url, '127.0.0.2', '/v1/sessions', a.body, {
      ...a.headers,
      'x-forwarded-for': '127.0.0.3',
    });
    expect(forged.status).toBe(403);
    expect(forged.json.error?.code).toBe('GW_IP_FORBIDDEN');
    const b = signed('alice');
    const real = await send(nginx.url, '127.0.0.3', '/v1/sessions', b.body, {
      ...b.headers,
      'x-forwarded-for': '10.9.9.9',
    });
    expect(real.status).toBe(201);
  });
});

describe('TRUST_PROXY', () => {
  const refusal = (value: string) => {
    try {
      loadConfig({ TRUST_PROXY: value });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error(`TRUST_PROXY=${value} was accepted`);
  };

  it('refuses `true` (everyone trusted) and a hop count, showing the value to use', () => {
    expect(refusal('true')).toContain('TRUST_PROXY=127.0.0.1');
    expect(refusal('1')).toContain('TRUST_PROXY=127.0.0.1');
    expect(refusal('nginx.internal')).toMatch(/not an address or CIDR/);
  });

  it('takes addresses and CIDR ranges', () => {
    expect(loadConfig({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1' }).server.trustProxy).toEqual([
      '127.0.0.1',
      '10.0.0.0/8',
      '::1',
    ]);
    expect(loadConfig({}).server.trustProxy).toBe(false);
  });
});
