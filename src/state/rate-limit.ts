import type { RateRule } from '../config/index.js';
import type { BucketLimit, Store } from './store.js';

/**
 * One limit on a request: the rule (as configured: `<per minute>/<burst>`) applied to a token
 * bucket per `key` (a user, an IP, an app) within `name`.
 */
export interface RateCheck {
  /** Names the limit in refusals and in the key; letters, digits, `_`, `.`, `-` only. */
  name: string;
  key: string;
  rule: RateRule;
}

/** The token bucket of a rule: `burst` tokens at most, refilled at `perMinute` a minute. */
export function bucketOf(rule: RateRule): BucketLimit {
  return { capacity: rule.burst, refillPerSecond: rule.perMinute / 60 };
}

export type RateDecision =
  | { allowed: true }
  | { allowed: false; rule: string; retryAfterSeconds: number /* whole, >= 1: the Retry-After header */ };

// No `:` in a name, so `rl:<name>:<key>` is unambiguous even for keys holding `:` (IPv6).
const RULE_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Applies several limits to one request, all or nothing. Fairness: the rules go to the Store as
 * one `consumeAll`, a single atomic step (one Lua script on Redis), so a request refused by any
 * rule spends no token of any other: a user over their own limit cannot use up the app's or the
 * IP's allowance for everyone else. (Consume-in-order-then-refund would cost a round trip per rule
 * and, between take and refund, refuse others spuriously.) The price: on a Redis Cluster all of a
 * request's keys would have to share a hash slot; the gateway uses a single Redis.
 *
 * A Store failure rejects with GW_STORE_UNAVAILABLE; whether to fail open is the caller's choice.
 */
export class RateLimiter {
  constructor(private readonly store: Store) {}

  async check(rules: readonly RateCheck[]): Promise<RateDecision> {
    for (const r of rules) {
      if (!RULE_NAME.test(r.name))
        throw new RangeError(`rate rule name ${JSON.stringify(r.name)} is not allowed`);
    }
    const results = await this.store.consumeAll(
      rules.map((r) => ({
        key: `rl:${r.name}:${r.key}`,
        limit: bucketOf(r.rule),
      })),
    );
    // Of the refusing rules, name the one with the longest wait: only then would every rule allow,
    // so its wait is the honest Retry-After (ties go to the earlier rule).
    let worst = -1;
    results.forEach((r, i) => {
      if (!r.allowed && (worst < 0 || r.retryAfterMs > results[worst].retryAfterMs)) worst = i;
    });
    if (worst < 0) return { allowed: true };
    return {
      allowed: false,
      rule: rules[worst].name,
      retryAfterSeconds: Math.max(1, Math.ceil(results[worst].retryAfterMs / 1000)),
    };
  }
}
