import type { Store } from './store.js';

/** A cached Coze access token (the same shape as the Coze client's TokenCache entries). */
export interface StoredToken {
  token: string;
  expiresAt: number;
  source: 'oauth' | 'pat';
}

/**
 * Coze tokens kept in the Store, keyed by session_name, expiring with the token. It satisfies the
 * Coze client's structural `TokenCache`, so with a shared Store every instance sees one token.
 */
export function storeTokenCache(store: Store) {
  const key = (sessionName: string) => `coze-token:${sessionName}`;
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
  };
}
