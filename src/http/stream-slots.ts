import { GatewayError } from '../errors.js';
import { compositeKey } from '../keys.js';

export interface StreamLimits {
  perUser: number;
  perAddress: number;
}

/**
 * The answer streams open on this instance (chat streams and resumes alike: each holds a socket,
 * a follower and heartbeats), counted per user and per client address. Counted here, not in the
 * shared Store: what a stream costs is this instance's, and a count in memory cannot outlive the
 * streams it counts (decision 0026).
 */
export class StreamSlots {
  private readonly open = new Map<string, number>();

  constructor(private readonly limits: StreamLimits) {}

  /**
   * Takes a place for one stream of `user` (app and principal) from `address`, or refuses with
   * `429 GW_TOO_MANY_STREAMS` naming the limit. Returns the release, which may be called any
   * number of times (the first gives the place back).
   */
  take(app: string, principal: string, address: string): () => void {
    const user = compositeKey('user', app, principal);
    const ip = compositeKey('ip', address);
    if (this.count(user) >= this.limits.perUser) throw refusal('user', this.limits.perUser);
    if (this.count(ip) >= this.limits.perAddress) throw refusal('ip', this.limits.perAddress);
    this.add(user, 1);
    this.add(ip, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.add(user, -1);
      this.add(ip, -1);
    };
  }

  /** How many users and addresses hold an open stream (0 when every stream has ended). */
  get size(): number {
    return this.open.size;
  }

  private count(key: string): number {
    return this.open.get(key) ?? 0;
  }

  private add(key: string, n: number): void {
    const next = this.count(key) + n;
    if (next > 0) this.open.set(key, next);
    else this.open.delete(key);
  }
}

function refusal(limit: 'user' | 'ip', max: number): GatewayError {
  return new GatewayError('GW_TOO_MANY_STREAMS', {
    message:
      limit === 'user'
        ? `Too many answers are open at once (at most ${max}); close one (another tab?) and try again.`
        : `Too many answers are open at once from this address (at most ${max}); try again shortly.`,
    details: { limit },
  });
}
