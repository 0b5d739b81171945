// Store.consume / consumeAll (token buckets): every backend in env STORES passes this suite.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from './memory-store.js';
import { RedisStore } from './redis-store.js';
import type { Store } from './store.js';
import { TEST_STORES, type TestStores, testStores, uniquePrefix } from './testing.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Refills one token an hour: nothing comes back while a test runs. */
const slow = (capacity: number) => ({ capacity, refillPerSecond: 1 / 3600 });

describe.each(TEST_STORES)('token buckets: %s', (kind) => {
  let stores: TestStores;
  let store: Store;
  // Letting time pass. The memory store reads a clock the test moves. Redis buckets run on the
  // Redis server's clock: there the test waits (at least as long: later is never wrong), and a
  // bucket refills a token a second, so no step of a loaded machine sees one come back early.
  let clock = Date.now();
  const pass = async (ms: number) => {
    if (kind === 'memory') clock += ms;
    else await sleep(ms + 5);
  };
  beforeAll(async () => {
    stores = testStores(kind);
    store =
      kind === 'memory'
        ? new MemoryStore({ now: () => clock })
        : await stores.open(uniquePrefix(`bucket-${kind}`));
  });
  afterAll(async () => {
    if (kind === 'memory') await store.close();
    await stores.cleanup();
  });

  it('a full bucket allows exactly its capacity of a burst, counting down', async () => {
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await store.consume('burst', slow(5)));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, false, false]);
    expect(results.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0]);
    expect(results.slice(0, 5).every((r) => r.retryAfterMs === 0)).toBe(true);
  });

  it('a refusal says how long until the cost is back', async () => {
    const limit = { capacity: 3, refillPerSecond: 1 };
    // The bucket refills from its first use on: by the last call, `elapsed` at most (none on the
    // memory store's still clock; Redis keeps time itself).
    const started = Date.now();
    for (let i = 0; i < 3; i++) await store.consume('wait', limit);
    const one = await store.consume('wait', limit);
    const two = await store.consume('wait', limit, 2);
    const elapsed = kind === 'memory' ? 0 : Date.now() - started;
    expect(one.allowed).toBe(false);
    expect(one.retryAfterMs).toBeGreaterThanOrEqual(1000 - elapsed);
    expect(one.retryAfterMs).toBeLessThanOrEqual(1000);
    expect(two.allowed).toBe(false);
    expect(two.retryAfterMs).toBeGreaterThanOrEqual(2000 - elapsed);
    expect(two.retryAfterMs).toBeLessThanOrEqual(2000);
  });

  it('tokens come back over time: after retryAfterMs a request is allowed again', async () => {
    const limit = { capacity: 2, refillPerSecond: 1 };
    await store.consume('refill', limit);
    await store.consume('refill', limit);
    const refused = await store.consume('refill', limit);
    expect(refused.allowed).toBe(false);
    await pass(refused.retryAfterMs);
    expect(await store.consume('refill', limit)).toMatchObject({ allowed: true, retryAfterMs: 0 });
  });

  it('cost > 1 takes that many, and a refused cost takes none', async () => {
    const limit = slow(10);
    expect(await store.consume('cost', limit, 4)).toEqual({ allowed: true, remaining: 6, retryAfterMs: 0 });
    expect(await store.consume('cost', limit, 4)).toMatchObject({ allowed: true, remaining: 2 });
    expect(await store.consume('cost', limit, 3)).toMatchObject({ allowed: false, remaining: 2 });
    expect(await store.consume('cost', limit, 2)).toMatchObject({ allowed: true, remaining: 0 });
    // Cost 0 only looks.
    expect(await store.consume('cost', limit, 0)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
  });

  it('separate keys are independent', async () => {
    expect((await store.consume('own-a', slow(1))).allowed).toBe(true);
    expect((await store.consume('own-a', slow(1))).allowed).toBe(false);
    expect((await store.consume('own-b', slow(1))).allowed).toBe(true);
  });

  it('leaves no key behind once the bucket is full again, nor for a look at a full bucket', async () => {
    const limit = { capacity: 2, refillPerSecond: 1 }; // one token back in a second
    await store.consume('gone', limit);
    expect(await store.setIfAbsent('gone', 'x', 10_000)).toBe(false); // the bucket is there
    await pass(1000);
    expect(await store.setIfAbsent('gone', 'x', 10_000)).toBe(true);
    await store.consume('peek', limit, 0);
    expect(await store.setIfAbsent('peek', 'x', 10_000)).toBe(true);
  });

  it('delete() resets a bucket to full', async () => {
    await store.consume('reset', slow(1));
    await store.delete('reset');
    expect((await store.consume('reset', slow(1))).allowed).toBe(true);
  });

  it('consumeAll takes from every bucket or from none', async () => {
    const req = (key: string, capacity: number) => ({ key, limit: slow(capacity) });
    const both = await store.consumeAll([req('all-wide', 5), req('all-narrow', 1)]);
    expect(both.map((r) => r.allowed)).toEqual([true, true]);
    const refused = await store.consumeAll([req('all-wide', 5), req('all-narrow', 1)]);
    expect(refused.map((r) => r.allowed)).toEqual([true, false]);
    expect(refused[0]).toEqual({ allowed: true, remaining: 4, retryAfterMs: 0 });
    expect(refused[1].retryAfterMs).toBeGreaterThan(0);
    expect(await store.consume('all-wide', slow(5), 0)).toMatchObject({ remaining: 4 }); // nothing spent
    expect(await store.consumeAll([])).toEqual([]);
  });

  it('rejects impossible limits with RangeError, without asking the backend', async () => {
    await expect(store.consume('bad', slow(2), 3)).rejects.toBeInstanceOf(RangeError);
    await expect(store.consume('bad', { capacity: 0, refillPerSecond: 1 })).rejects.toBeInstanceOf(
      RangeError,
    );
    await expect(store.consume('bad', { capacity: 1, refillPerSecond: 0 })).rejects.toBeInstanceOf(
      RangeError,
    );
    await expect(store.consume('bad', slow(1), -1)).rejects.toBeInstanceOf(RangeError);
    await expect(
      store.consumeAll([
        { key: 'twice', limit: slow(1) },
        { key: 'twice', limit: slow(1) },
      ]),
    ).rejects.toBeInstanceOf(RangeError);
  });

  it('two instances: of 200 concurrent calls against capacity 60, exactly 60 are allowed (5 rounds)', async () => {
    const prefix = uniquePrefix(`bucket-${kind}-peers`);
    const [a, b] = [await stores.open(prefix), await stores.open(prefix)];
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).consume(`shared-${round}`, slow(60))),
      );
      expect(results.filter((r) => r.allowed)).toHaveLength(60);
      expect(results.filter((r) => r.allowed && r.remaining === 0)).toHaveLength(1);
    }
  });

  it.runIf(kind === 'redis')(
    'uses the Redis clock: a caller whose clock jumps an hour ahead gets nothing back',
    async () => {
      await store.consume('skew', slow(1));
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        vi.setSystemTime(Date.now() + 3_600_000);
        expect((await store.consume('skew', slow(1))).allowed).toBe(false);
      } finally {
        vi.useRealTimers();
      }
    },
  );
});

describe.runIf(TEST_STORES.includes('redis'))('token buckets on Redis: failures', () => {
  it('maps a Redis that is not there to GW_STORE_UNAVAILABLE', async () => {
    const store = new RedisStore({ url: 'redis://127.0.0.1:1', keyPrefix: uniquePrefix('bucket-down') });
    try {
      await expect(store.consume('k', slow(1))).rejects.toMatchObject({
        name: 'GatewayError',
        code: 'GW_STORE_UNAVAILABLE',
      });
    } finally {
      await store.close();
    }
  });
});
