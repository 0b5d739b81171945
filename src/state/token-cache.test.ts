// storeTokenCache over every Store backend in env STORES: the token entries and the refresh lease.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_STORES, type TestStores, testStores, uniquePrefix } from './testing.js';
import { storeTokenCache } from './token-cache.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const token = (t: string, lifeMs = 60_000) => ({
  token: t,
  expiresAt: Date.now() + lifeMs,
  refreshAt: Date.now() + lifeMs / 2,
  source: 'oauth' as const,
});

describe.each(TEST_STORES)('storeTokenCache on a %s store', (kind) => {
  let stores: TestStores;
  let cache: ReturnType<typeof storeTokenCache>;
  beforeAll(async () => {
    stores = testStores(kind);
    cache = storeTokenCache(await stores.open(uniquePrefix(`token-cache-${kind}`)));
  });
  afterAll(() => stores.cleanup());

  it('keeps a token per session_name until it expires; an expired one is not stored', async () => {
    const t = token('czs_a');
    await cache.set('a', t);
    expect(await cache.get('a')).toEqual(t);
    expect(await cache.get('b')).toBeUndefined();
    await cache.set('short', token('czs_short', 80));
    await cache.set('dead', token('czs_dead', -1));
    expect(await cache.get('dead')).toBeUndefined();
    await sleep(180);
    expect(await cache.get('short')).toBeUndefined();
    await cache.delete('a');
    expect(await cache.get('a')).toBeUndefined();
  });

  it('gives the refresh lease to one caller at a time; release lets the next take it', async () => {
    const leases = await Promise.all(Array.from({ length: 20 }, () => cache.acquireRefresh('lease', 10_000)));
    const held = leases.filter((l) => l !== undefined);
    expect(held).toHaveLength(1);
    expect(await held[0].commit(token('czs_1'))).toBe(true);
    expect(await cache.get('lease')).toMatchObject({ token: 'czs_1' });
    await held[0].release();
    expect(await cache.acquireRefresh('lease', 10_000)).toBeDefined();
  });

  it('a lease that lapsed cannot commit over the next holder', async () => {
    const first = await cache.acquireRefresh('fenced', 60);
    await sleep(150);
    const second = await cache.acquireRefresh('fenced', 10_000);
    expect(second).toBeDefined();
    expect(await first!.commit(token('czs_late'))).toBe(false);
    expect(await cache.get('fenced')).toBeUndefined();
    await first!.release(); // must not release the second holder's lease
    expect(await cache.acquireRefresh('fenced', 10_000)).toBeUndefined();
    expect(await second!.commit(token('czs_new'))).toBe(true);
    expect(await cache.get('fenced')).toMatchObject({ token: 'czs_new' });
  });
});
