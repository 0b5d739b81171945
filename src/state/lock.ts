import { randomUUID } from 'node:crypto';
import type { Store } from './store.js';

export interface Lock {
  readonly key: string;
  readonly owner: string;
  /** Renews the lock for `ttlMs` while this holder still owns it. False when it was lost. */
  extend(ttlMs: number): Promise<boolean>;
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** How long the lock lives if its holder dies without releasing it. */
  ttlMs: number;
  /** How long to wait for a held lock before giving up (0: do not wait). */
  waitMs: number;
  /** Poll interval while waiting. */
  retryMs?: number;
  signal?: AbortSignal;
}

/**
 * Takes a lock on `key`, waiting up to `waitMs`. Resolves undefined when it could not be had.
 * Release deletes the key only if this holder still owns it, so an expired lock that another
 * holder took meanwhile is never released by the old one.
 */
export async function acquireLock(store: Store, key: string, o: AcquireOptions): Promise<Lock | undefined> {
  const owner = randomUUID();
  const deadline = Date.now() + o.waitMs;
  const retryMs = o.retryMs ?? 50;
  for (;;) {
    if (await store.setIfAbsent(key, owner, o.ttlMs)) {
      return {
        key,
        owner,
        extend: (ttlMs) => store.setIfHeld(key, owner, key, owner, ttlMs),
        release: async () => void (await store.deleteIfEquals(key, owner)),
      };
    }
    if (Date.now() + retryMs > deadline || o.signal?.aborted) return undefined;
    await new Promise((r) => setTimeout(r, retryMs));
  }
}
