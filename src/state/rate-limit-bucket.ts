// Token-bucket arithmetic shared by the Store backends: input checks (both), and the in-process
// version of what rate-limit-lua.ts does inside Redis (memory). Keep the two in step.
import type { BucketLimit, BucketRequest, ConsumeResult } from './store.js';

/**
 * Slack for float error: a bucket refilled for exactly the advertised retryAfterMs can land a hair
 * below `cost` (0.1 + 0.2 style), and must still count as having it.
 */
const TOKEN_EPSILON = 1e-9;

/** A bucket request with its checks passed and its cost filled in. */
export interface CheckedBucket {
  key: string;
  capacity: number;
  refillPerSecond: number;
  cost: number;
}

/** A bucket as stored: tokens held at time `at` (epoch ms). An absent bucket is full. */
export interface BucketState {
  tokens: number;
  at: number;
}

const positive = (n: number) => Number.isFinite(n) && n > 0;

/**
 * Rejects what no bucket could serve, before any backend is asked: such a call is a bug in the
 * caller, not a refusal (a cost above capacity would be refused forever), so it throws RangeError
 * rather than becoming GW_STORE_UNAVAILABLE. Duplicate keys would read one bucket twice and write it
 * twice in one atomic step, with only the last write counting.
 */
export function checkBuckets(buckets: readonly BucketRequest[]): CheckedBucket[] {
  const seen = new Set<string>();
  return buckets.map(({ key, limit, cost = 1 }) => {
    if (!positive(limit.capacity)) throw new RangeError(`bucket ${key}: capacity must be a positive number`);
    if (!positive(limit.refillPerSecond)) {
      throw new RangeError(`bucket ${key}: refillPerSecond must be a positive number`);
    }
    if (!(Number.isFinite(cost) && cost >= 0 && cost <= limit.capacity)) {
      throw new RangeError(`bucket ${key}: cost must be between 0 and the capacity (${limit.capacity})`);
    }
    if (seen.has(key)) throw new RangeError(`bucket ${key}: the same key twice in one call`);
    seen.add(key);
    return { key, capacity: limit.capacity, refillPerSecond: limit.refillPerSecond, cost };
  });
}

/** The bucket at `now`: refilled since it was stored, never above capacity, full when absent. */
export function refill(saved: BucketState | undefined, limit: BucketLimit, now: number): BucketState {
  if (!saved) return { tokens: limit.capacity, at: now };
  // A clock that stepped back refills nothing (rather than draining) and keeps the later stamp.
  const elapsedMs = Math.max(0, now - saved.at);
  return {
    tokens: Math.min(limit.capacity, saved.tokens + (elapsedMs * limit.refillPerSecond) / 1000),
    at: Math.max(now, saved.at),
  };
}

/** Whether `tokens` cover `cost`, and the answer for this bucket if nothing or `cost` is taken. */
export function judge(tokens: number, b: CheckedBucket, take: boolean): ConsumeResult {
  const allowed = tokens + TOKEN_EPSILON >= b.cost;
  const left = take ? Math.max(0, tokens - b.cost) : tokens;
  return {
    allowed,
    remaining: Math.floor(left + TOKEN_EPSILON),
    retryAfterMs: allowed ? 0 : Math.ceil(((b.cost - tokens) * 1000) / b.refillPerSecond),
  };
}

/** Milliseconds until a bucket holding `tokens` is full again (0: full now, keep no key). */
export function msUntilFull(tokens: number, b: CheckedBucket): number {
  const missing = b.capacity - tokens;
  return missing <= TOKEN_EPSILON ? 0 : (missing * 1000) / b.refillPerSecond;
}
