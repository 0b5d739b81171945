/**
 * Shared, expiring key-value state: Coze tokens, session tokens, turn locks (and later rate-limit
 * counters, stream buffers, replay caches). One interface, one file per backend: memory (default)
 * and Redis (for several instances). Values are strings; callers serialise.
 */
export interface Store {
  readonly kind: 'memory' | 'redis';
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
  /** Resolves when the backend answers (for /ready). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
