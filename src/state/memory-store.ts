import { type BucketState, checkBuckets, judge, msUntilFull, refill } from './rate-limit-bucket.js';
import type { BucketLimit, BucketRequest, ConsumeResult, Store } from './store.js';

interface Entry {
  value: string;
  expiresAt: number; // epoch ms; Infinity when it does not expire
}

/** The in-process Store: the embedded default, for one gateway process. */
export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly remembersSince = Date.now();
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;
  /** The clock TTLs and buckets are read on (tests pass one they move; see decision 0031). */
  private readonly now: () => number;

  constructor({
    sweepEveryMs = 60_000,
    now = () => Date.now(),
  }: { sweepEveryMs?: number; now?: () => number } = {}) {
    this.now = now;
    // Expired entries are dropped on read; the sweep bounds memory held by keys never read again.
    this.sweeper = setInterval(() => this.sweep(), sweepEveryMs);
    this.sweeper.unref();
  }

  async get(key: string): Promise<string | undefined> {
    return this.live(key)?.value;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.entries.set(key, {
      value,
      expiresAt: ttlMs === undefined ? Number.POSITIVE_INFINITY : this.now() + ttlMs,
    });
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.live(key)) return false;
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    return true;
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    if (this.live(key)?.value !== value) return false;
    this.entries.delete(key);
    return true;
  }

  async setIfHeld(
    lockKey: string,
    owner: string,
    key: string,
    value: string,
    ttlMs: number,
  ): Promise<boolean> {
    if (this.live(lockKey)?.value !== owner) return false;
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    return true;
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async consume(key: string, limit: BucketLimit, cost = 1): Promise<ConsumeResult> {
    return (await this.consumeAll([{ key, limit, cost }]))[0];
  }

  async consumeAll(requests: readonly BucketRequest[]): Promise<ConsumeResult[]> {
    const buckets = checkBuckets(requests);
    // No await from here on: the read-check-write below is atomic within the one JS thread.
    const now = this.now();
    const levels = buckets.map((b) => refill(this.bucket(b.key), b, now));
    const take = buckets.every((b, i) => judge(levels[i].tokens, b, false).allowed);
    if (take) {
      buckets.forEach((b, i) => {
        const tokens = Math.max(0, levels[i].tokens - b.cost);
        const fullInMs = msUntilFull(tokens, b);
        // Bucket state shares the key space, as a Redis hash does: delete() resets a bucket.
        if (fullInMs === 0) this.entries.delete(b.key);
        else
          this.entries.set(b.key, { value: `${tokens} ${levels[i].at}`, expiresAt: levels[i].at + fullInMs });
      });
    }
    return buckets.map((b, i) => judge(levels[i].tokens, b, take));
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.entries.clear();
  }

  private live(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e && e.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /** The stored bucket at `key`, or undefined when there is none (a full bucket). */
  private bucket(key: string): BucketState | undefined {
    const raw = this.live(key)?.value;
    if (raw === undefined) return undefined;
    const [tokens, at] = raw.split(' ').map(Number);
    if (!(Number.isFinite(tokens) && Number.isFinite(at))) {
      throw new TypeError(`key ${key} holds a value that is not a rate-limit bucket`);
    }
    return { tokens, at };
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
  }
}
