// Where access tokens are kept per session_name. Structural: a Redis implementation lives elsewhere.

export interface CachedToken {
  token: string;
  expiresAt: number; // epoch ms
  source: 'oauth' | 'pat';
  /** Epoch ms after which the token should be replaced (before `expiresAt`); absent = expiresAt - 30 s. */
  refreshAt?: number;
}

export interface TokenCache {
  get(sessionName: string): Promise<CachedToken | undefined>;
  set(sessionName: string, token: CachedToken): Promise<void>;
  delete(sessionName: string): Promise<void>;
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
