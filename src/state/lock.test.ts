import { afterAll, describe, expect, it } from 'vitest';
import { acquireLock } from './lock.js';
import { MemoryStore } from './memory-store.js';
import { TEST_STORES, testStores, uniquePrefix } from './testing.js';

describe.each(TEST_STORES)('turn locks on the %s store', (kind) => {
  const stores = testStores(kind);
  afterAll(() => stores.cleanup());

  it('lets one holder in at a time, even across two instances', async () => {
    const prefix = uniquePrefix('lock');
    const [a, b] = [await stores.open(prefix), await stores.open(prefix)];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        acquireLock(i % 2 ? a : b, 'turn-lock:c1', { ttlMs: 5000, waitMs: 0 }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('hands the lock to a waiter when the holder releases it', async () => {
    const store = await stores.open(uniquePrefix('lock'));
    const first = (await acquireLock(store, 'k', { ttlMs: 5000, waitMs: 0 }))!;
    const waiting = acquireLock(store, 'k', { ttlMs: 5000, waitMs: 3000, retryMs: 20 });
    await first.release();
    expect(await waiting).toBeDefined();
  });

  it('a lock whose holder died expires; the old holder can neither renew nor release the new one', async () => {
    const store = await stores.open(uniquePrefix('lock'));
    const old = (await acquireLock(store, 'k', { ttlMs: 150, waitMs: 0 }))!;
    const next = await acquireLock(store, 'k', { ttlMs: 5000, waitMs: 2000, retryMs: 20 });
    expect(next).toBeDefined();
    expect(await old.extend(5000)).toBe(false);
    await old.release();
    expect(await acquireLock(store, 'k', { ttlMs: 5000, waitMs: 0 })).toBeUndefined();
    await next!.release();
  });

  it('renewing keeps a lock past its first lifetime', async () => {
    // The memory store reads a clock the test moves; Redis keeps its own, so there each renewal
    // comes 600 ms into a 1.5 s lifetime, leaving a loaded machine 900 ms to send it.
    let clock = Date.now();
    const store =
      kind === 'memory' ? new MemoryStore({ now: () => clock }) : await stores.open(uniquePrefix('lock'));
    const ttlMs = 1_500;
    const pass = async (ms: number) => {
      if (kind === 'memory') clock += ms;
      else await new Promise((r) => setTimeout(r, ms));
    };
    try {
      const lock = (await acquireLock(store, 'k', { ttlMs, waitMs: 0 }))!;
      for (let i = 0; i < 3; i++) {
        await pass(600);
        expect(await lock.extend(ttlMs)).toBe(true);
      }
      expect(await acquireLock(store, 'k', { ttlMs, waitMs: 0 })).toBeUndefined();
    } finally {
      if (kind === 'memory') await store.close();
    }
  });
});
