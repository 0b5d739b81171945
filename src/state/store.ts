/** A token bucket: holds up to `capacity` tokens, starts full, refills continuously. */
export interface BucketLimit {
  capacity: number;
  refillPerSecond: number;
}

/** One bucket of a `consumeAll` call; `cost` defaults to 1. */
export interface BucketRequest {
  key: string;
  limit: BucketLimit;
  cost?: number;
}

export interface ConsumeResult {
  /** The bucket had `cost` tokens. */
  allowed: boolean;
  /** Whole tokens left in the bucket afterwards. */
  remaining: number;
  /** 0 when allowed; else how long until the bucket holds `cost` tokens again (without other use). */
  retryAfterMs: number;
}

/**
 * Shared, expiring key-value state: Coze tokens and their refresh lease, session tokens, turn
 * locks, idempotency keys, request-signature replay marks, workflow questions awaiting a reply, and
 * the rate limiter's token buckets. (A turn's events for resuming are not here: they go to Redis
 * Streams, `EventStreams`.) One interface, one file per backend: memory (default) and Redis (for
 * several instances). Values are strings; callers serialise.
 */
export interface Store {
  readonly kind: 'memory' | 'redis';
  /**
   * Epoch ms since which this store remembers: a store in memory knows nothing of what happened
   * before it was made (a restart), so a replay check must refuse what predates it. Absent for a
   * store that outlives the process (Redis).
   */
  readonly remembersSince?: number;
  get(key: string): Promise<string | undefined>;
  /** Sets the value; `ttlMs` makes it expire (omit for no expiry). */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Sets only when the key does not exist. True when it was set (the basis of locks). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Deletes only when the current value equals `value` (releasing a lock one still holds). */
  deleteIfEquals(key: string, value: string): Promise<boolean>;
  /**
   * Sets `key` only while `lockKey` holds `owner` (a fenced write: a holder whose lock expired and
   * was taken by another cannot overwrite the newer holder's result). True when it was set.
   */
  setIfHeld(lockKey: string, owner: string, key: string, value: string, ttlMs: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  /**
   * Takes `cost` (default 1) tokens from the bucket at `key` if it has them, else takes none. The
   * key disappears once the bucket would be full again, so an idle bucket leaves nothing behind.
   * Throws RangeError for a limit or cost no bucket could serve (cost above capacity, rate <= 0).
   */
  consume(key: string, limit: BucketLimit, cost?: number): Promise<ConsumeResult>;
  /**
   * Several buckets at once, all or nothing (atomically, on one clock): tokens are taken from every
   * bucket only when every one has its cost. Results are in request order; a bucket's `allowed`
   * says whether it alone had the tokens, and when the whole call was refused `remaining` is what
   * it still holds. Keys must be distinct.
   */
  consumeAll(buckets: readonly BucketRequest[]): Promise<ConsumeResult[]>;
  /** Resolves when the backend answers (for /ready). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
