// The Store backends the tests run against, chosen by env STORES (a comma list of `memory,redis`;
// default `memory`), in the manner of kysely's DIALECTS. Redis is at REDIS_URL (default
// redis://127.0.0.1:6379). Imported by *.test.ts only.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { MemoryStore } from './memory-store.js';
import { RedisStore } from './redis-store.js';
import type { Store } from './store.js';

export type StoreKind = Store['kind'];

const KINDS: readonly StoreKind[] = ['memory', 'redis'];

export const TEST_REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

export const TEST_STORES: readonly StoreKind[] = (process.env.STORES || 'memory')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '')
  .map((s) => {
    if (!(KINDS as readonly string[]).includes(s)) {
      throw new Error(`STORES: unknown store "${s}"; use a comma list of ${KINDS.join(', ')}`);
    }
    return s as StoreKind;
  });

/** A key prefix no other run uses, so parallel runs on one Redis never collide. */
export const uniquePrefix = (label: string) => `cg-test:${label}:${process.pid}:${randomUUID().slice(0, 8)}:`;

/**
 * A Store over keys under `prefix`. Calling it twice with one prefix gives what two gateway
 * instances would see: the same MemoryStore (there is no other way to share one), or a second
 * Redis connection.
 */
export interface TestStores {
  open(prefix: string): Promise<Store>;
  /** Closes what `open` gave and deletes every key under the prefixes used. */
  cleanup(): Promise<void>;
}

export function testStores(kind: StoreKind): TestStores {
  const opened: Store[] = [];
  const prefixes = new Set<string>();
  const memory = new Map<string, MemoryStore>();
  return {
    async open(prefix) {
      prefixes.add(prefix);
      if (kind === 'memory') {
        const m = memory.get(prefix) ?? new MemoryStore();
        memory.set(prefix, m);
        opened.push(m);
        return m;
      }
      const r = new RedisStore({ url: TEST_REDIS_URL, keyPrefix: prefix });
      opened.push(r);
      await r.connect();
      return r;
    },
    async cleanup() {
      await Promise.all(opened.splice(0).map((s) => s.close()));
      if (kind === 'redis') await deleteKeys([...prefixes]);
      prefixes.clear();
    },
  };
}

async function deleteKeys(prefixes: string[]): Promise<void> {
  const client = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  await client.connect();
  try {
    for (const prefix of prefixes) {
      const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        if (keys.length > 0) await client.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    client.disconnect();
  }
}
