// Two gateway instances (two token providers) over one shared Store: one OAuth exchange per
// session_name across both. Runs on every Store backend named in env STORES (memory: both share one
// MemoryStore; redis: each has its own connection to the same keys).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/index.js';
import { TEST_STORES, type TestStores, testStores, uniquePrefix } from '../state/testing.js';
import { storeTokenCache } from '../state/token-cache.js';
import { jwtCredentials, PAT, startTestSimulator, uniqueSession } from './testing.js';
import { createTokenProvider, type TokenProviderOptions } from './token-provider.js';

describe.each(TEST_STORES)('token refresh across instances sharing a %s store', (kind) => {
  let sim: Simulator;
  let stores: TestStores;
  beforeAll(async () => {
    sim = await startTestSimulator();
    stores = testStores(kind);
  });
  afterAll(async () => {
    await sim?.close();
    await stores?.cleanup();
  });
  beforeEach(() => sim.resetFaults());

  /** Two instances whose caches share one key space. */
  async function twoInstances(extra: Partial<TokenProviderOptions> = {}) {
    const prefix = uniquePrefix('tokens');
    const caches = [storeTokenCache(await stores.open(prefix)), storeTokenCache(await stores.open(prefix))];
    const providers = caches.map((cache) =>
      createTokenProvider({ baseUrl: sim.url, jwt: jwtCredentials(), cache, ...extra }),
    );
    return { caches, providers };
  }

  const exchanges = (s: string) => sim.stats().tokenExchangesBySession[s] ?? 0;

  it('20 concurrent calls for one session_name, spread over both: ONE exchange', async () => {
    const { providers } = await twoInstances();
    const s = uniqueSession('shared-one');
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => providers[i % 2].getToken(s)));
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect(tokens[0].source).toBe('oauth');
    expect(exchanges(s)).toBe(1);
  });

  it('several session_names at once: one exchange each', async () => {
    const { providers } = await twoInstances();
    const sessions = Array.from({ length: 5 }, (_, i) => uniqueSession(`shared-many-${i}`));
    const calls = sessions.flatMap((s) => Array.from({ length: 8 }, (_, i) => providers[i % 2].getToken(s)));
    const tokens = await Promise.all(calls);
    expect(new Set(tokens.map((t) => t.token)).size).toBe(sessions.length);
    for (const s of sessions) expect(exchanges(s)).toBe(1);
  });

  it('short-lived tokens: the refresh before expiry also happens once across both', async () => {
    sim.setFaults({ tokenMaxDurationSeconds: 2 });
    // Both providers read a clock the test moves: the token ages without waiting, and exactly.
    let clock = Date.now();
    const { providers } = await twoInstances({ now: () => clock });
    const s = uniqueSession('shared-refresh');
    const first = await providers[0].getToken(s);
    expect((await providers[1].getToken(s)).token).toBe(first.token);
    clock = first.refreshAt!; // inside the refresh margin, not yet expired
    expect(clock).toBeLessThan(first.expiresAt);
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => providers[i % 2].getToken(s)));
    expect(new Set(tokens.map((t) => t.token))).toEqual(new Set([tokens[0].token]));
    expect(tokens[0].token).not.toBe(first.token);
    expect(exchanges(s)).toBe(2);
  });

  it('a refresher that vanished without a token: once its lease lapses, one instance takes over', async () => {
    const { caches, providers } = await twoInstances();
    const s = uniqueSession('shared-vanished');
    const abandoned = await caches[0].acquireRefresh(s, 300); // never committed nor released
    expect(abandoned).toBeDefined();
    const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => providers[i % 2].getToken(s)));
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect(exchanges(s)).toBe(1);
  });

  it('token endpoint down: both use the PAT fallback, and only one instance tried OAuth', async () => {
    sim.setFaults({ tokenEndpointDown: true });
    const fallbacks: string[] = [];
    const { providers } = await twoInstances({
      pat: PAT,
      hooks: { onFallback: (name) => fallbacks.push(name) },
    });
    const s = uniqueSession('shared-fallback');
    const failedBefore = sim.stats().tokenRequestsFailed;
    const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => providers[i % 2].getToken(s)));
    for (const t of tokens) expect(t).toMatchObject({ token: PAT, source: 'pat' });
    expect(fallbacks).toEqual([s]);
    expect(sim.stats().tokenRequestsFailed - failedBefore).toBe(1);
  });
});
