import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post } from '../helpers/client.js';
import { type GatewayProcess, startGatewayProcess } from '../helpers/processes.js';
import { selected } from '../helpers/selection.js';

// Two gateway processes share one Redis; one user fires 200 messages at once, split between
// them, against a limit of 60: exactly 60 pass.
describe.runIf(selected('STORES', 'redis'))('rate limits across two instances sharing Redis', () => {
  let a: GatewayProcess;
  let b: GatewayProcess;
  const dir = mkdtempSync(join(tmpdir(), 'cg-rl-'));

  beforeAll(async () => {
    const config = join(dir, 'apps.yaml');
    writeFileSync(
      config,
      `apps:
  - id: default
    bot_id: "7500000000000000001"
    max_conversations_per_user: 1000
    rate_limits:
      user: { per_minute: 1, burst: 60 }
      ip: { per_minute: 100000, burst: 100000 }
      app: { per_minute: 100000, burst: 100000 }
      sessions_per_ip: { per_minute: 100000, burst: 100000 }
`,
    );
    const env = {
      GATEWAY_CONFIG: config,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `cg-rl-${randomBytes(4).toString('hex')}:`,
      DATABASE_URL: `sqlite:${join(dir, 'a.db')}`,
    };
    // Each runs its own built-in simulator; the limit is checked before Coze is called.
    a = await startGatewayProcess(env);
    b = await startGatewayProcess({ ...env, DATABASE_URL: `sqlite:${join(dir, 'b.db')}` });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('lets exactly 60 of 200 simultaneous messages through, and tells the rest when to retry', async () => {
    const r = await fetch(`${a.url}/v1/sessions/visitor`, { method: 'POST' });
    const { token } = (await r.json()) as { token: string };
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        post(i % 2 ? a.url : b.url, '/v1/chat', token, { message: `m${i}` }),
      ),
    );
    const ok = results.filter((x) => x.status === 200);
    const limited = results.filter((x) => x.status === 429);
    expect(ok).toHaveLength(60);
    expect(limited).toHaveLength(140);
    for (const x of limited) {
      expect(Number(x.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await x.json()) as { error: { code: string } }).error.code).toBe('GW_RATE_LIMITED');
    }
    // Both instances did refuse some: the count is shared, not per process.
    const refusedBy = (i: number) => results.filter((x, j) => j % 2 === i && x.status === 429).length;
    expect(refusedBy(0)).toBeGreaterThan(0);
    expect(refusedBy(1)).toBeGreaterThan(0);
  });
});
