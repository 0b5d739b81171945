// The Store contract: every backend named in env STORES passes this one suite (see ./testing.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock } from './lock.js';
import { MemoryStore } from './memory-store.js';
import type { Store } from './store.js';
import { TEST_STORES, type TestStores, testStores, uniquePrefix } from './testing.js';

describe.each(TEST_STORES)('Store contract: %s', (kind) => {
  let stores: TestStores;
  let store: Store;
  // Letting a TTL pass. The memory store reads a clock the test moves, so nothing waits. Redis
  // keeps its own clock: there a TTL is long enough that no step of a loaded machine outlives it
  // by accident, and the test waits until the key is gone (decision 0031).
  let clock = Date.now();
  const TTL_MS = kind === 'memory' ? 60 : 1_000;
  const outlive = async (key: string) => {
    if (kind === 'memory') clock += TTL_MS;
    else await expect.poll(() => store.get(key), { timeout: TTL_MS + 10_000 }).toBeUndefined();
  };
  beforeAll(async () => {
    stores = testStores(kind);
    store =
      kind === 'memory'
        ? new MemoryStore({ now: () => clock })
        : await stores.open(uniquePrefix(`contract-${kind}`));
  });
  afterAll(async () => {
    if (kind === 'memory') await store.close();
    await stores.cleanup();
  });

  it('reports its kind and answers ping', async () => {
    expect(store.kind).toBe(kind);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('gets what was set, overwrites, and deletes', async () => {
    expect(await store.get('plain')).toBeUndefined();
    await store.set('plain', 'one');
    expect(await store.get('plain')).toBe('one');
    await store.set('plain', 'two');
    expect(await store.get('plain')).toBe('two');
    await store.delete('plain');
    expect(await store.get('plain')).toBeUndefined();
    await expect(store.delete('never-set')).resolves.toBeUndefined();
  });

  it('forgets a key once its TTL has passed; a key set without TTL stays', async () => {
    await store.set('short', 'v', TTL_MS);
    await store.set('forever', 'v');
    expect(await store.get('short')).toBe('v');
    await outlive('short');
    expect(await store.get('short')).toBeUndefined();
    expect(await store.get('forever')).toBe('v');
  });

  it('setIfAbsent: of 50 concurrent callers exactly one wins, and its value is kept', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.setIfAbsent('race', `caller-${i}`, 10_000)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.get('race')).toBe(`caller-${results.indexOf(true)}`);
    expect(await store.setIfAbsent('race', 'late', 10_000)).toBe(false);
  });

  it('setIfAbsent: an expired key can be taken again', async () => {
    expect(await store.setIfAbsent('lapsing', 'first', TTL_MS)).toBe(true);
    expect(await store.setIfAbsent('lapsing', 'early', 10_000)).toBe(false);
    await outlive('lapsing');
    expect(await store.setIfAbsent('lapsing', 'second', 10_000)).toBe(true);
    expect(await store.get('lapsing')).toBe('second');
  });

  it('deleteIfEquals deletes only for the value that is there', async () => {
    await store.set('owned', 'owner-a', 10_000);
    expect(await store.deleteIfEquals('owned', 'owner-b')).toBe(false);
    expect(await store.get('owned')).toBe('owner-a');
    expect(await store.deleteIfEquals('owned', 'owner-a')).toBe(true);
    expect(await store.get('owned')).toBeUndefined();
    expect(await store.deleteIfEquals('owned', 'owner-a')).toBe(false);
  });

  it('setIfHeld writes only while the lock holds that owner', async () => {
    await store.setIfAbsent('lease', 'holder', 10_000);
    expect(await store.setIfHeld('lease', 'intruder', 'fenced', 'from intruder', 10_000)).toBe(false);
    expect(await store.get('fenced')).toBeUndefined();
    expect(await store.setIfHeld('lease', 'holder', 'fenced', 'from holder', 10_000)).toBe(true);
    expect(await store.get('fenced')).toBe('from holder');
    await store.deleteIfEquals('lease', 'holder');
    expect(await store.setIfHeld('lease', 'holder', 'fenced', 'after release', 10_000)).toBe(false);
    expect(await store.get('fenced')).toBe('from holder');
  });

  it('setIfHeld: a lapsed holder cannot overwrite the next holder, and the value expires', async () => {
    await store.setIfAbsent('lease2', 'old', TTL_MS);
    await outlive('lease2');
    await store.setIfAbsent('lease2', 'new', 10_000);
    expect(await store.setIfHeld('lease2', 'old', 'result', 'stale', 10_000)).toBe(false);
    expect(await store.setIfHeld('lease2', 'new', 'result', 'fresh', TTL_MS)).toBe(true);
    expect(await store.get('result')).toBe('fresh');
    await outlive('result');
    expect(await store.get('result')).toBeUndefined();
  });

  it('keeps unicode keys and values intact', async () => {
    const value = '令牌 ✓ — naïve café 🚀 𝄞\n"quoted" \\ \u0000 end';
    await store.set('ключ:会话', value);
    expect(await store.get('ключ:会话')).toBe(value);
    expect(await store.setIfAbsent('锁', '所有者🔒', 10_000)).toBe(true);
    expect(await store.deleteIfEquals('锁', '所有者🔒')).toBe(true);
  });

  it('acquireLock over it: one holder at a time, released only by its holder', async () => {
    const a = await acquireLock(store, 'turn-lock:c1', { ttlMs: 10_000, waitMs: 0 });
    expect(a).toBeDefined();
    expect(await acquireLock(store, 'turn-lock:c1', { ttlMs: 10_000, waitMs: 0 })).toBeUndefined();
    await a!.release();
    expect(await acquireLock(store, 'turn-lock:c1', { ttlMs: 10_000, waitMs: 0 })).toBeDefined();
  });

  it.runIf(kind === 'redis')('keys of two prefixes do not see each other', async () => {
    const other = await stores.open(uniquePrefix(`contract-${kind}-other`));
    await store.set('shared-name', 'mine');
    expect(await other.get('shared-name')).toBeUndefined();
    expect(await other.setIfAbsent('shared-name', 'theirs', 10_000)).toBe(true);
    expect(await other.deleteIfEquals('shared-name', 'mine')).toBe(false);
    expect(await store.get('shared-name')).toBe('mine');
    await other.delete('shared-name');
    expect(await store.get('shared-name')).toBe('mine');
  });

  it.runIf(kind === 'redis')('a second connection with the same prefix sees the same keys', async () => {
    const prefix = uniquePrefix(`contract-${kind}-peer`);
    const [a, b] = [await stores.open(prefix), await stores.open(prefix)];
    expect(await a.setIfAbsent('peer-lock', 'a', 10_000)).toBe(true);
    expect(await b.setIfAbsent('peer-lock', 'b', 10_000)).toBe(false);
    expect(await b.get('peer-lock')).toBe('a');
  });
});
