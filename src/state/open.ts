import { passwordOf, redactSecrets } from '../observability/index.js';
import { MemoryStore } from './memory-store.js';
import { RedisStore } from './redis-store.js';
import type { Store } from './store.js';

/** What openStore needs of the Redis settings (config's RedisConfig has this shape). */
export interface RedisConnection {
  url: string;
  /** The URL with its password replaced: the only form that appears in messages. */
  redactedUrl: string;
  keyPrefix: string;
  connectTimeoutMs: number;
}

/**
 * The Store for this gateway: in memory without Redis settings, else Redis, connected and answering
 * PING within `connectTimeoutMs`. Otherwise it throws one line naming REDIS_URL (redacted) and the
 * reason, and leaves no connection or reconnect timer behind.
 */
export async function openStore(redis: RedisConnection | undefined): Promise<Store> {
  if (!redis) return new MemoryStore();
  const store = new RedisStore({
    url: redis.url,
    keyPrefix: redis.keyPrefix,
    connectTimeoutMs: redis.connectTimeoutMs,
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${redis.connectTimeoutMs} ms`)),
      redis.connectTimeoutMs,
    );
  });
  try {
    await Promise.race([store.connect(), timeout]);
    return store;
  } catch (e) {
    await store.close();
    throw new Error(`REDIS_URL ${redis.redactedUrl} is not reachable: ${reason(e, redis.url)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** The first line of the error, with the URL's password (if any) masked all the same. */
function reason(e: unknown, url: string): string {
  const line = (e instanceof Error ? e.message : String(e)).split('\n')[0].trim() || 'unknown error';
  return redactSecrets(line, [passwordOf(url)]);
}
