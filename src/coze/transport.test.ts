// The retry-once rule on 4100 (§1.6, §8.1), with hand-written token providers against the simulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/index.js';
import { DEFAULT_TIMEOUTS } from './http.js';
import { PAT, startTestSimulator } from './testing.js';
import type { CachedToken } from './token-cache.js';
import type { TokenProvider } from './token-provider.js';
import { createTransport } from './transport.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(() => sim.close());

/** Hands out the given tokens in order, and counts invalidations. */
function providerOf(list: CachedToken[]): TokenProvider & { invalidated: number; handedOut: number } {
  const p = {
    invalidated: 0,
    handedOut: 0,
    getToken: async () => list[Math.min(p.handedOut++, list.length - 1)],
    invalidate: async () => {
      p.invalidated++;
    },
  };
  return p;
}

const oauth = (token: string): CachedToken => ({ token, expiresAt: Date.now() + 60_000, source: 'oauth' });
const spec = { sessionName: 's', method: 'POST' as const, path: '/v1/conversation/create', body: {} };

describe('transport 4100 handling', () => {
  it('retries once with a fresh token after a 4100 on an OAuth token', async () => {
    const tokens = providerOf([
      oauth('czs_stale'),
      { token: PAT, expiresAt: Date.now() + 60_000, source: 'pat' },
    ]);
    const t = createTransport({ baseUrl: sim.url, tokens, timeouts: DEFAULT_TIMEOUTS });
    const env = await t.json(spec);
    expect(env.json.code).toBe(0);
    expect(tokens.invalidated).toBe(1);
    expect(tokens.handedOut).toBe(2);
  });

  it('does not retry a second time', async () => {
    const tokens = providerOf([oauth('czs_stale'), oauth('czs_stale_too')]);
    const t = createTransport({ baseUrl: sim.url, tokens, timeouts: DEFAULT_TIMEOUTS });
    await expect(t.json(spec)).rejects.toMatchObject({ code: 'GW_COZE_AUTH', cozeCode: 4100 });
    expect(tokens.handedOut).toBe(2);
  });

  it('does not retry a PAT', async () => {
    const tokens = providerOf([{ token: 'pat_bad', expiresAt: Number.MAX_SAFE_INTEGER, source: 'pat' }]);
    const t = createTransport({ baseUrl: sim.url, tokens, timeouts: DEFAULT_TIMEOUTS });
    await expect(t.stream({ ...spec, path: '/v3/chat' })).rejects.toMatchObject({ code: 'GW_COZE_AUTH' });
    expect(tokens.invalidated).toBe(0);
    expect(tokens.handedOut).toBe(1);
  });
});
