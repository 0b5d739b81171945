import type { Redis } from 'ioredis';
import { GatewayError } from '../errors.js';
import { type CheckedBucket, checkBuckets } from './rate-limit-bucket.js';
import { CONSUME_BUCKETS } from './rate-limit-lua.js';
import { redisClient } from './redis-client.js';
import type { BucketLimit, BucketRequest, ConsumeResult, Store } from './store.js';

export interface RedisStoreOptions {
  /** redis:// or rediss:// URL (may hold a password: never put it in a message). */
  url: string;
  /** Prepended to every key, so several gateways (or test runs) can share one Redis. */
  keyPrefix: string;
  /** How long opening the socket may take (default 5000). */
  connectTimeoutMs?: number;
  /** A command without an answer within this fails (default 1000). */
  commandTimeoutMs?: number;
}

// Compare-and-* run as Lua scripts: Redis runs a script atomically, nothing interleaves.
const DELETE_IF_EQUALS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const SET_IF_HELD = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;

/** Reconnect after 50, 100, 200 … ms, at most 1 s apart, for as long as Redis stays away. */
export const reconnectDelayMs = (attempt: number): number => Math.min(50 * 2 ** (attempt - 1), 1_000);

/** Redis takes whole positive milliseconds. */
const px = (ttlMs: number): number => Math.max(1, Math.ceil(ttlMs));

/**
 * The Store on Redis, shared by every gateway instance. While Redis is away commands fail at once
 * (no offline queue, a short command timeout) with GW_STORE_UNAVAILABLE, and the client keeps
 * reconnecting on its own, so service resumes when Redis is back.
 */
export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  private readonly client: Redis;
  private readonly prefix: string;
  private lastError: Error | undefined;

  constructor(o: RedisStoreOptions) {
    this.prefix = o.keyPrefix;
    this.client = redisClient(o.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: o.commandTimeoutMs ?? 1_000,
      connectTimeout: o.connectTimeoutMs ?? 5_000,
      // A socket Redis does not close after our FIN is destroyed this soon (close() leaves nothing open).
      disconnectTimeout: 200,
      retryStrategy: reconnectDelayMs,
    });
    // Without a listener ioredis prints every failed reconnect; the failures reach callers as errors.
    this.client.on('error', (e: Error) => {
      this.lastError = e;
    });
  }

  /** Connects and checks with PING. Rejects with the first connection error (e.g. ECONNREFUSED). */
  async connect(): Promise<void> {
    try {
      await this.client.connect();
      await this.client.ping();
    } catch (e) {
      throw this.lastError ?? e;
    }
  }

  get(key: string): Promise<string | undefined> {
    return this.run(async () => (await this.client.get(this.k(key))) ?? undefined);
  }

  set(key: string, value: string, ttlMs?: number): Promise<void> {
    return this.run(async () => {
      if (ttlMs === undefined) await this.client.set(this.k(key), value);
      else await this.client.set(this.k(key), value, 'PX', px(ttlMs));
    });
  }

  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.run(async () => (await this.client.set(this.k(key), value, 'PX', px(ttlMs), 'NX')) === 'OK');
  }

  deleteIfEquals(key: string, value: string): Promise<boolean> {
    return this.run(
      async () => Number(await this.client.eval(DELETE_IF_EQUALS, 1, this.k(key), value)) === 1,
    );
  }

  setIfHeld(lockKey: string, owner: string, key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.run(async () => {
      const r = await this.client.eval(SET_IF_HELD, 2, this.k(lockKey), this.k(key), owner, value, px(ttlMs));
      return Number(r) === 1;
    });
  }

  delete(key: string): Promise<void> {
    return this.run(async () => void (await this.client.del(this.k(key))));
  }

  async consume(key: string, limit: BucketLimit, cost = 1): Promise<ConsumeResult> {
    return (await this.consumeAll([{ key, limit, cost }]))[0];
  }

  async consumeAll(requests: readonly BucketRequest[]): Promise<ConsumeResult[]> {
    // Checked outside run(): a bad limit is the caller's bug (RangeError), not Redis being away.
    const buckets = checkBuckets(requests);
    if (buckets.length === 0) return [];
    const keys = buckets.map((b) => this.k(b.key));
    const args = buckets.flatMap((b) => [b.capacity, b.refillPerSecond, b.cost]);
    const reply = await this.run(() => this.client.eval(CONSUME_BUCKETS, keys.length, ...keys, ...args));
    return bucketResults(reply, buckets);
  }

  ping(): Promise<void> {
    return this.run(async () => void (await this.client.ping()));
  }

  /** Ends the connection and any reconnecting; leaves nothing that keeps the process alive. */
  async close(): Promise<void> {
    if (this.client.status === 'ready') await this.client.quit().catch(() => {});
    this.client.disconnect();
  }

  private k(key: string): string {
    return this.prefix + key;
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (cause) {
      throw new GatewayError('GW_STORE_UNAVAILABLE', { cause });
    }
  }
}

/** The script's flat [allowed, remaining, retryAfterMs, …] reply, one triple per bucket. */
function bucketResults(reply: unknown, buckets: readonly CheckedBucket[]): ConsumeResult[] {
  if (!Array.isArray(reply) || reply.length !== buckets.length * 3 || !reply.every(Number.isInteger)) {
    throw new GatewayError('GW_STORE_UNAVAILABLE', {
      cause: new Error('unexpected rate-limit script reply'),
    });
  }
  const n = reply as number[];
  return buckets.map((_, i) => ({
    allowed: n[3 * i] === 1,
    remaining: n[3 * i + 1],
    retryAfterMs: n[3 * i + 2],
  }));
}
