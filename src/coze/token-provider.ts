// Access tokens per session_name: OAuth JWT exchange, cached, refreshed early, single-flight, with the
// PAT as fallback (coze-protocol.md §2.1, §2.2).
import { createAgent } from './http.js';
import { createAssertionSigner, type JwtAppCredentials } from './jwt.js';
import { exchangeJwt } from './oauth.js';
import { type CachedToken, createMemoryTokenCache, type TokenCache } from './token-cache.js';

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
}

export interface TokenProvider {
  getToken(sessionName: string): Promise<CachedToken>;
  /** After Coze said 4100 for a cached token. */
  invalidate(sessionName: string): Promise<void>;
}

const MAX_TTL_SECONDS = 86_399; // §2.2 step 3
const DEFAULT_PAT_FALLBACK_MS = 30_000;
const UNKNOWN_MARGIN_MS = 30_000;

/** §2.2: Go/Java refresh `margin` before expiry (30 s for ttl >= 600, 10 s >= 60, 5 s >= 30); below, a fifth. */
export function refreshMarginMs(ttlMs: number): number {
  if (ttlMs >= 600_000) return 30_000;
  if (ttlMs >= 60_000) return 10_000;
  if (ttlMs >= 30_000) return 5_000;
  return Math.max(0, Math.floor(ttlMs / 5));
}

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

  async function resolve(sessionName: string): Promise<CachedToken> {
    // A failing cache (e.g. Redis down) must not stop answers: read it as a miss.
    const cached = await cache.get(sessionName).catch(() => undefined);
    if (cached && now() < (cached.refreshAt ?? cached.expiresAt - UNKNOWN_MARGIN_MS)) return cached;
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
    await cache.set(sessionName, token).catch(() => {});
    return token;
  }

  return {
    getToken(sessionName) {
      // Concurrent callers for one session_name share one cache read and at most one exchange.
      let pending = inflight.get(sessionName);
      if (!pending) {
        pending = resolve(sessionName).finally(() => inflight.delete(sessionName));
        inflight.set(sessionName, pending);
      }
      return pending;
    },
    async invalidate(sessionName) {
      await cache.delete(sessionName).catch(() => {});
    },
  };
}
