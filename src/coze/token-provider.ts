// Access tokens per session_name: OAuth JWT exchange, cached, refreshed early, single-flight, with the
// PAT as fallback (coze-protocol.md §2.1, §2.2). With a shared cache, one refresh per session_name
// across all instances (a lease in the cache; the others wait for its token).
import { createAgent } from './http.js';
import { createAssertionSigner, type JwtAppCredentials } from './jwt.js';
import { exchangeJwt } from './oauth.js';
import {
  type CachedToken,
  createMemoryTokenCache,
  type RefreshLease,
  type TokenCache,
} from './token-cache.js';

export interface TokenProviderOptions {
  /** The Coze REST base, e.g. https://api.coze.cn; the JWT `aud` is its host (with port, like cozepy). */
  baseUrl: string;
  /** OAuth JWT service app. */
  jwt?: JwtAppCredentials;
  /** Personal access token: alone = the only credential; next to `jwt` = the fallback. */
  pat?: string;
  cache?: TokenCache;
  hooks?: {
    onExchange?(sessionName: string, ms: number): void;
    onFallback?(sessionName: string, error: unknown): void;
  };
  now?: () => number;
  /** How long a PAT fallback is used before OAuth is tried again (default 30 s). */
  patFallbackMs?: number;
  /**
   * With a shared cache (`cache.acquireRefresh`): how long one instance's refresh lease lives, and
   * so how long the others wait for its token before exchanging themselves (default 10 s).
   */
  refreshLeaseMs?: number;
  /** How often an instance waiting for another's refresh looks in the cache (default 30 ms). */
  refreshPollMs?: number;
}

export interface TokenProvider {
  getToken(sessionName: string): Promise<CachedToken>;
  /** After Coze said 4100 for a cached token. */
  invalidate(sessionName: string): Promise<void>;
}

const MAX_TTL_SECONDS = 86_399; // §2.2 step 3
const DEFAULT_PAT_FALLBACK_MS = 30_000;
const UNKNOWN_MARGIN_MS = 30_000;
const DEFAULT_REFRESH_LEASE_MS = 10_000;
const DEFAULT_REFRESH_POLL_MS = 30;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** §2.2: Go/Java refresh `margin` before expiry (30 s for ttl >= 600, 10 s >= 60, 5 s >= 30); below, a fifth. */
export function refreshMarginMs(ttlMs: number): number {
  if (ttlMs >= 600_000) return 30_000;
  if (ttlMs >= 60_000) return 10_000;
  if (ttlMs >= 30_000) return 5_000;
  return Math.max(0, Math.floor(ttlMs / 5));
}

/** How many sessions' tokens one process keeps in memory. */
const LOCAL_TOKENS = 10_000;

export function createTokenProvider(opts: TokenProviderOptions): TokenProvider {
  const { jwt, pat, hooks = {} } = opts;
  if (!jwt && !pat)
    throw new Error(
      'createTokenProvider needs `jwt` (an OAuth service app) or `pat` (a personal access token).',
    );
  if (jwt && !(Number.isInteger(jwt.ttlSeconds) && jwt.ttlSeconds > 0 && jwt.ttlSeconds <= MAX_TTL_SECONDS)) {
    throw new Error(`jwt.ttlSeconds must be an integer from 1 to ${MAX_TTL_SECONDS}; got ${jwt.ttlSeconds}.`);
  }
  if (!jwt) {
    const only: CachedToken = { token: pat as string, expiresAt: Number.MAX_SAFE_INTEGER, source: 'pat' };
    return { getToken: async () => only, invalidate: async () => {} };
  }

  const now = opts.now ?? Date.now;
  const cache = opts.cache ?? createMemoryTokenCache();
  const signer = createAssertionSigner(jwt, new URL(opts.baseUrl).host);
  const agent = createAgent(5_000);
  const inflight = new Map<string, Promise<CachedToken>>();
  const leaseMs = opts.refreshLeaseMs ?? DEFAULT_REFRESH_LEASE_MS;
  const pollMs = opts.refreshPollMs ?? DEFAULT_REFRESH_POLL_MS;

  async function exchange(sessionName: string): Promise<CachedToken> {
    const started = performance.now();
    const issuedAt = now();
    const assertion = await signer.sign(sessionName, issuedAt);
    const r = await exchangeJwt({
      agent,
      baseUrl: opts.baseUrl,
      assertion,
      durationSeconds: jwt!.ttlSeconds,
    });
    hooks.onExchange?.(sessionName, performance.now() - started);
    const margin = refreshMarginMs(r.expiresAt - issuedAt);
    return { token: r.accessToken, expiresAt: r.expiresAt, source: 'oauth', refreshAt: r.expiresAt - margin };
  }

  const fresh = (t: CachedToken | undefined): t is CachedToken =>
    t !== undefined && now() < (t.refreshAt ?? t.expiresAt - UNKNOWN_MARGIN_MS);
  // A failing cache (e.g. Redis down) must not stop answers: read it as a miss.
  const read = (sessionName: string) => cache.get(sessionName).catch(() => undefined);
  // This process's copy of fresh tokens, so a turn's Coze calls do not each read a shared cache
  // (a Redis round trip). Bounded: the oldest entries go first.
  const local = new Map<string, CachedToken>();
  const remember = (sessionName: string, t: CachedToken) => {
    local.delete(sessionName);
    local.set(sessionName, t);
    if (local.size > LOCAL_TOKENS) local.delete(local.keys().next().value as string);
    return t;
  };

  async function resolve(sessionName: string): Promise<CachedToken> {
    return remember(sessionName, await resolveShared(sessionName));
  }

  async function resolveShared(sessionName: string): Promise<CachedToken> {
    const cached = await read(sessionName);
    if (fresh(cached)) return cached;
    if (!cache.acquireRefresh) return refresh(sessionName, cached);
    // A shared cache: one refresh per session_name across all instances. Wait for another
    // instance's refresh for as long as its lease lives; if it ends without a token, take over.
    const giveUpAt = Date.now() + leaseMs;
    for (;;) {
      const lease = await cache.acquireRefresh(sessionName, leaseMs).catch(() => null);
      if (lease === null) return refresh(sessionName, cached);
      if (lease) return refreshHolding(sessionName, lease);
      if (Date.now() >= giveUpAt) return refresh(sessionName, cached);
      await sleep(pollMs);
      const written = await read(sessionName);
      if (fresh(written)) return written;
    }
  }

  async function refreshHolding(sessionName: string, lease: RefreshLease): Promise<CachedToken> {
    try {
      const latest = await read(sessionName); // another instance may have written it just before
      if (fresh(latest)) return latest;
      return await refresh(sessionName, latest, (t) => lease.commit(t));
    } finally {
      await lease.release().catch(() => {});
    }
  }

  async function refresh(
    sessionName: string,
    cached: CachedToken | undefined,
    write: (t: CachedToken) => Promise<unknown> = (t) => cache.set(sessionName, t),
  ): Promise<CachedToken> {
    let token: CachedToken;
    try {
      token = await exchange(sessionName);
    } catch (error) {
      // Refresh failed: a still-valid OAuth token beats the fallback.
      if (cached?.source === 'oauth' && now() < cached.expiresAt) return cached;
      if (pat === undefined) throw error;
      hooks.onFallback?.(sessionName, error);
      const until = now() + (opts.patFallbackMs ?? DEFAULT_PAT_FALLBACK_MS);
      token = { token: pat, expiresAt: until, source: 'pat', refreshAt: until };
    }
    await write(token).catch(() => {});
    return token;
  }

  return {
    getToken(sessionName) {
      const mine = local.get(sessionName);
      if (fresh(mine)) return Promise.resolve(mine);
      // Concurrent callers for one session_name share one cache read and at most one exchange.
      let pending = inflight.get(sessionName);
      if (!pending) {
        pending = resolve(sessionName).finally(() => inflight.delete(sessionName));
        inflight.set(sessionName, pending);
      }
      return pending;
    },
    async invalidate(sessionName) {
      local.delete(sessionName);
      await cache.delete(sessionName).catch(() => {});
    },
  };
}
