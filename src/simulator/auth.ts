// Token bookkeeping: PATs, issued czs_ tokens (with session_name and expiry), used JWT ids.
import { randomToken } from './ids.js';
import { type OAuthApp, verifyJwt } from './jwt.js';

export const DEFAULT_DURATION_SEC = 900;
export const MAX_DURATION_SEC = 86_399;

/** Who is calling; conversations are partitioned by `scope`. */
export interface Identity {
  scope: string;
  /** Stable 16-digit creator id derived from the scope. */
  creatorId: string;
}

export type ExchangeResult =
  | { ok: true; accessToken: string; expiresIn: number; sessionName: string }
  | { ok: false; reason: string };

interface IssuedToken {
  sessionName: string;
  expiresAtMs: number;
}

function creatorIdOf(scope: string): string {
  let h = 1469598103934665603n;
  for (const ch of Buffer.from(scope)) h = ((h ^ BigInt(ch)) * 1099511628211n) % 10n ** 16n;
  return (h + 10n ** 15n).toString().slice(0, 16).padStart(16, '1');
}

export class AuthStore {
  private readonly pats: Set<string>;
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly usedJti = new Map<string, number>(); // jti -> JWT exp (seconds)

  constructor(
    pats: readonly string[],
    private readonly apps: readonly OAuthApp[],
    private readonly audience: string,
  ) {
    this.pats = new Set(pats);
  }

  /**
   * The JWT-bearer exchange. `durationSec` was already validated; `maxDurationSec` is the fault cap.
   */
  exchange(jwt: string, durationSec: number, maxDurationSec: number | null): ExchangeResult {
    const now = Date.now();
    const nowSec = Math.floor(now / 1000);
    this.prune(nowSec);
    const result = verifyJwt(jwt, {
      apps: this.apps,
      audience: this.audience,
      nowSec,
      jtiUsed: (jti) => this.usedJti.has(jti),
    });
    if (!result.ok) return result;
    this.usedJti.set(result.claims.jti, result.claims.exp);
    const ttl = maxDurationSec === null ? durationSec : Math.min(durationSec, maxDurationSec);
    const accessToken = randomToken('czs_');
    const expiresAtMs = now + ttl * 1000;
    const sessionName = result.claims.session_name ?? '';
    this.tokens.set(accessToken, { sessionName, expiresAtMs });
    return { ok: true, accessToken, expiresIn: Math.floor(expiresAtMs / 1000), sessionName };
  }

  /** Resolves an `Authorization` header value to an identity; null = 4100. */
  identify(authorization: string | undefined): Identity | null {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return null;
    const token = m[1] as string;
    if (this.pats.has(token)) return this.identity(`pat:${token}`);
    const issued = this.tokens.get(token);
    if (!issued) return null;
    if (Date.now() >= issued.expiresAtMs) {
      this.tokens.delete(token);
      return null;
    }
    return this.identity(`session:${issued.sessionName}`);
  }

  private identity(scope: string): Identity {
    return { scope, creatorId: creatorIdOf(scope) };
  }

  private prune(nowSec: number): void {
    if (this.usedJti.size < 1000) return;
    for (const [jti, exp] of this.usedJti) if (exp <= nowSec) this.usedJti.delete(jti);
  }
}
