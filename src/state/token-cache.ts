import { randomUUID } from 'node:crypto';
import type { Store } from './store.js';

/** A cached Coze access token (the same shape as the Coze client's TokenCache entries). */
export interface StoredToken {
  token: string;
  expiresAt: number;
  source: 'oauth' | 'pat';
  refreshAt?: number;
}

/** The right to refresh one session_name's token, held by one caller across all instances. */
export interface RefreshLease {
  /** Writes the token only while the lease is still held; false when it was lost (expired). */
  commit(token: StoredToken): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * Coze tokens kept in the Store, keyed by session_name, expiring with the token. It satisfies the
 * Coze client's structural `TokenCache`, so with a shared Store every instance sees one token, and
 * `acquireRefresh` lets one instance at a time refresh it.
 */
export function storeTokenCache(store: Store) {
  const key = (sessionName: string) => `coze-token:${sessionName}`;
  const leaseKey = (sessionName: string) => `coze-token-refresh:${sessionName}`;
  return {
    async get(sessionName: string): Promise<StoredToken | undefined> {
      const raw = await store.get(key(sessionName));
      return raw === undefined ? undefined : (JSON.parse(raw) as StoredToken);
    },
    async set(sessionName: string, t: StoredToken): Promise<void> {
      const ttl = t.expiresAt - Date.now();
      if (ttl > 0) await store.set(key(sessionName), JSON.stringify(t), ttl);
    },
    async delete(sessionName: string): Promise<void> {
      await store.delete(key(sessionName));
    },
    /** Undefined when another holder has the lease; it lapses after `ttlMs` if never released. */
    async acquireRefresh(sessionName: string, ttlMs: number): Promise<RefreshLease | undefined> {
      const lock = leaseKey(sessionName);
      const owner = randomUUID();
      if (!(await store.setIfAbsent(lock, owner, ttlMs))) return undefined;
      return {
        async commit(t) {
          const ttl = t.expiresAt - Date.now();
          return ttl > 0 && store.setIfHeld(lock, owner, key(sessionName), JSON.stringify(t), ttl);
        },
        async release() {
          await store.deleteIfEquals(lock, owner);
        },
      };
    },
  };
}
