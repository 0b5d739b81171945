// Where access tokens are kept per session_name. Structural: a Redis implementation lives elsewhere.

export interface CachedToken {
  token: string;
  expiresAt: number; // epoch ms
  source: 'oauth' | 'pat';
  /** Epoch ms after which the token should be replaced (before `expiresAt`); absent = expiresAt - 30 s. */
  refreshAt?: number;
}

/** The right to refresh one session_name's token, held by one caller across all instances. */
export interface RefreshLease {
  /** A fenced write: stores the token only while the lease is held; false when it was lost. */
  commit(token: CachedToken): Promise<boolean>;
  release(): Promise<void>;
}

export interface TokenCache {
  get(sessionName: string): Promise<CachedToken | undefined>;
  set(sessionName: string, token: CachedToken): Promise<void>;
  delete(sessionName: string): Promise<void>;
  /**
   * A cache shared by several instances offers this so only one of them refreshes a session_name's
   * token at a time. Undefined: another holder has it. The lease lapses after `ttlMs` if not released.
   */
  acquireRefresh?(sessionName: string, ttlMs: number): Promise<RefreshLease | undefined>;
}

/** Above this many entries, expired ones are swept on `set`. */
const SWEEP_ABOVE = 10_000;

export function createMemoryTokenCache(): TokenCache {
  const tokens = new Map<string, CachedToken>();
  return {
    async get(sessionName) {
      return tokens.get(sessionName);
    },
    async set(sessionName, token) {
      if (tokens.size >= SWEEP_ABOVE) {
        const now = Date.now();
        for (const [name, t] of tokens) if (t.expiresAt <= now) tokens.delete(name);
      }
      tokens.set(sessionName, token);
    },
    async delete(sessionName) {
      tokens.delete(sessionName);
    },
  };
}
