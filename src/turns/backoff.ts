import { isGatewayError } from '../errors.js';

/**
 * The one retry helper of the turn pipeline. A policy says, for a failure of try `attempt`
 * (from 0), how long to wait before the next try, or `undefined` to give up; `retry` does the
 * trying. Time and chance come from a `RetryClock`, so tests run every policy without waiting.
 */
export type RetryPolicy = (e: unknown, attempt: number, clock: RetryClock) => number | undefined;

export interface RetryClock {
  now(): number;
  random(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: RetryClock = {
  now: Date.now,
  random: Math.random,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/** Exponential backoff: `baseMs·2^attempt`, at most `capMs`; with full jitter a random point below. */
export interface Backoff {
  baseMs: number;
  capMs?: number;
  jitter: boolean;
}

export function delayOf(attempt: number, b: Backoff, random: () => number): number {
  const full = Math.min(b.baseMs * 2 ** attempt, b.capMs ?? Number.POSITIVE_INFINITY);
  return b.jitter ? random() * full : full;
}

/** A policy of `retries` more tries with exponential backoff, for failures `retryable` accepts. */
export function backoff(b: Backoff & { retries: number; retryable?: (e: unknown) => boolean }): RetryPolicy {
  return (e, attempt, clock) =>
    attempt < b.retries && (!b.retryable || b.retryable(e)) ? delayOf(attempt, b, clock.random) : undefined;
}

/** The first policy that retries wins. */
export const either =
  (...policies: RetryPolicy[]): RetryPolicy =>
  (e, attempt, clock) => {
    for (const p of policies) {
      const ms = p(e, attempt, clock);
      if (ms !== undefined) return ms;
    }
    return undefined;
  };

/** Calls `call` until it succeeds, the policy gives up or `signal` aborts (the last error is thrown). */
export async function retry<T>(
  call: () => Promise<T>,
  policy: RetryPolicy,
  clock: RetryClock = realClock,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      const ms = signal?.aborted ? undefined : policy(e, attempt, clock);
      if (ms === undefined) throw e;
      await clock.sleep(ms);
    }
  }
}

/** Coze could not be reached (connection refused, 5xx): safe to ask again. */
export const upstreamUnavailable = (e: unknown): boolean =>
  isGatewayError(e) && e.code === 'GW_UPSTREAM_UNAVAILABLE';

/** A Coze call that failed before anything began (create a conversation, open a chat). */
export const UPSTREAM_RETRIES = backoff({
  retries: 3,
  baseMs: 200,
  jitter: true,
  retryable: upstreamUnavailable,
});

/**
 * Coze's 4016: a chat still runs in this conversation (e.g. one started before a restart). Asked
 * again every 200, 400, … 2000 ms while the next try still starts before `deadline`.
 */
export const conversationBusy =
  (deadline: number): RetryPolicy =>
  (e, attempt, clock) => {
    if (!isGatewayError(e) || e.cozeCode !== 4016) return undefined;
    const ms = delayOf(attempt, { baseMs: 200, capMs: 2000, jitter: false }, clock.random);
    return clock.now() + ms > deadline ? undefined : ms;
  };

/** A write of the ledger that must not be lost to a blip of the database (a turn's ending). */
export const LEDGER_WRITES = backoff({ retries: 4, baseMs: 200, jitter: false });

/** A write that helps recovery and is written again at the turn's end (Coze's chat id). */
export const LEDGER_NOTES = backoff({ retries: 3, baseMs: 100, jitter: true });
