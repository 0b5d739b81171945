// RateLimiter over every Store backend in env STORES.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf, type RateCheck, RateLimiter } from './rate-limit.js';
import type { Store } from './store.js';
import { TEST_STORES, type TestStores, testStores, uniquePrefix } from './testing.js';

const rule = (name: string, key: string, burst: number, refillPerSecond = 1 / 3600): RateCheck => ({
  name,
  key,
  rule: { perMinute: refillPerSecond * 60, burst },
});
/** Whole tokens left in a rule's bucket (a cost-0 look). */
const left = async (store: Store, r: RateCheck) =>
  (await store.consume(`rl:${r.name}:${r.key}`, bucketOf(r.rule), 0)).remaining;

describe.each(TEST_STORES)('RateLimiter on the %s store', (kind) => {
  let stores: TestStores;
  let store: Store;
  let limiter: RateLimiter;
  beforeAll(async () => {
    stores = testStores(kind);
    store = await stores.open(uniquePrefix(`rate-limit-${kind}`));
    limiter = new RateLimiter(store);
  });
  afterAll(() => stores.cleanup());

  it('allows while every rule has tokens; a refusal names the rule and a whole Retry-After >= 1', async () => {
    const rules = [rule('app', 'a1', 10), rule('user', 'u1', 2, 10)];
    expect(await limiter.check(rules)).toEqual({ allowed: true });
    expect(await limiter.check(rules)).toEqual({ allowed: true });
    const refused = await limiter.check(rules);
    // 100 ms until the user's next token: still a whole second for the header.
    expect(refused).toEqual({ allowed: false, rule: 'user', retryAfterSeconds: 1 });
    expect(await limiter.check([])).toEqual({ allowed: true });
  });

  it('fairness: a request refused by one rule spends no token of the others', async () => {
    const app = rule('app', 'a2', 10);
    const user = rule('user', 'u2', 2);
    const ip = rule('ip', '2001:db8::1', 10);
    for (let i = 0; i < 6; i++) await limiter.check([app, user, ip]);
    expect(await left(store, app)).toBe(8);
    expect(await left(store, ip)).toBe(8);
    expect(await left(store, user)).toBe(0);
    // Another user on the same app and IP is unaffected by the first one's refusals.
    expect(await limiter.check([app, rule('user', 'u3', 2), ip])).toEqual({ allowed: true });
  });

  it('when several rules refuse, names the one with the longest wait', async () => {
    const fast = rule('burst', 'u4', 1, 1); // back in 1 s
    const slowRule = rule('hourly', 'u4', 1, 0.1); // back in 10 s
    await limiter.check([fast, slowRule]);
    expect(await limiter.check([fast, slowRule])).toEqual({
      allowed: false,
      rule: 'hourly',
      retryAfterSeconds: 10,
    });
  });

  it('separates rules by name: the same key under two names is two buckets', async () => {
    expect(await limiter.check([rule('one', 'same', 1)])).toEqual({ allowed: true });
    expect(await limiter.check([rule('two', 'same', 1)])).toEqual({ allowed: true });
    expect(await limiter.check([rule('one', 'same', 1)])).toMatchObject({ allowed: false, rule: 'one' });
  });

  it('rejects a rule name that could make keys ambiguous', async () => {
    await expect(limiter.check([rule('a:b', 'k', 1)])).rejects.toBeInstanceOf(RangeError);
    await expect(limiter.check([rule('', 'k', 1)])).rejects.toBeInstanceOf(RangeError);
  });

  it('two instances, 200 concurrent requests: exactly the tightest capacity passes, 3 rounds', async () => {
    const prefix = uniquePrefix(`rate-limit-${kind}-peers`);
    const [first, second] = [await stores.open(prefix), await stores.open(prefix)];
    const [a, b] = [new RateLimiter(first), new RateLimiter(second)];
    for (let round = 0; round < 3; round++) {
      const rules = [rule('app', `peers-${round}`, 100), rule('user', `peers-${round}`, 60)];
      const decisions = await Promise.all(
        Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).check(rules)),
      );
      expect(decisions.filter((d) => d.allowed)).toHaveLength(60);
      expect(decisions.filter((d) => !d.allowed && d.rule === 'user')).toHaveLength(140);
      expect(await left(first, rules[0])).toBe(40); // the 140 refused spent none of the app's tokens
    }
  });
});
