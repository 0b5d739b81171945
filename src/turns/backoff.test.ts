import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import {
  backoff,
  conversationBusy,
  delayOf,
  either,
  LEDGER_WRITES,
  type RetryClock,
  retry,
  UPSTREAM_RETRIES,
} from './backoff.js';

/** A clock whose time moves only by the sleeps asked of it. */
function fakeClock(random = 0.5): RetryClock & { slept: number[]; t: number } {
  const c = {
    t: 1_000,
    slept: [] as number[],
    now: () => c.t,
    random: () => random,
    sleep: async (ms: number) => {
      c.slept.push(ms);
      c.t += ms;
    },
  };
  return c;
}

/** A call that fails with `errors` in order, then answers 'ok'. */
function failing(...errors: unknown[]) {
  let calls = 0;
  const call = async () => {
    calls++;
    if (errors.length) throw errors.shift();
    return 'ok';
  };
  return { call, calls: () => calls };
}

const unavailable = () => new GatewayError('GW_UPSTREAM_UNAVAILABLE');
const busy = () => new GatewayError('GW_CONVERSATION_BUSY', { cozeCode: 4016 });

describe('delayOf', () => {
  it('doubles from the base up to the cap; full jitter picks a point below', () => {
    const b = { baseMs: 100, capMs: 500, jitter: false };
    expect([0, 1, 2, 3, 4].map((n) => delayOf(n, b, Math.random))).toEqual([100, 200, 400, 500, 500]);
    expect(delayOf(2, { ...b, jitter: true }, () => 0.25)).toBe(100);
    expect(delayOf(2, { ...b, jitter: true }, () => 0)).toBe(0);
  });
});

describe('retry', () => {
  it('retries a retryable failure with backoff and returns the answer', async () => {
    const clock = fakeClock();
    const f = failing(unavailable(), unavailable());
    expect(await retry(f.call, UPSTREAM_RETRIES, clock)).toBe('ok');
    expect(clock.slept).toEqual([100, 200]); // 200·2^n, jittered by 0.5
  });

  it('gives up after its retries, throwing the last failure', async () => {
    const clock = fakeClock();
    const last = unavailable();
    const f = failing(unavailable(), unavailable(), unavailable(), last);
    await expect(retry(f.call, UPSTREAM_RETRIES, clock)).rejects.toBe(last);
    expect(f.calls()).toBe(4);
  });

  it('throws at once what its policy does not retry', async () => {
    const clock = fakeClock();
    const refused = new GatewayError('GW_COZE_AUTH');
    const f = failing(refused);
    await expect(retry(f.call, UPSTREAM_RETRIES, clock)).rejects.toBe(refused);
    expect(clock.slept).toEqual([]);
  });

  it('stops when the signal is aborted', async () => {
    const clock = fakeClock();
    const ac = new AbortController();
    ac.abort();
    const f = failing(unavailable());
    await expect(retry(f.call, UPSTREAM_RETRIES, clock, ac.signal)).rejects.toMatchObject({
      code: 'GW_UPSTREAM_UNAVAILABLE',
    });
    expect(f.calls()).toBe(1);
  });

  it('ledger writes back off without jitter: 200, 400, 800, 1600 ms, five tries', async () => {
    const clock = fakeClock(0);
    const f = failing(...Array.from({ length: 5 }, () => new Error('db')));
    await expect(retry(f.call, LEDGER_WRITES, clock)).rejects.toThrow('db');
    expect(clock.slept).toEqual([200, 400, 800, 1600]);
  });

  it("Coze's 4016 is retried only while the next try starts before the deadline", async () => {
    const clock = fakeClock();
    const f = failing(busy(), busy(), busy(), busy(), busy());
    const policy = either(UPSTREAM_RETRIES, conversationBusy(clock.now() + 1_000));
    await expect(retry(f.call, policy, clock)).rejects.toMatchObject({ cozeCode: 4016 });
    expect(clock.slept).toEqual([200, 400]); // a third wait (800) would pass the deadline
  });

  it('either: the first policy that retries decides', async () => {
    const clock = fakeClock();
    const never = backoff({ retries: 0, baseMs: 1, jitter: false });
    const f = failing(unavailable(), busy());
    const policy = either(never, UPSTREAM_RETRIES, conversationBusy(clock.now() + 10_000));
    expect(await retry(f.call, policy, clock)).toBe('ok');
    expect(clock.slept).toEqual([100, 400]);
  });
});
