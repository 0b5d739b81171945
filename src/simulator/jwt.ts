// Verification of the signed JWT of the OAuth JWT-bearer grant (protocol §2.2), with node:crypto.
import { createPublicKey, type KeyObject, verify } from 'node:crypto';

export interface OAuthApp {
  clientId: string;
  keyId: string;
  publicKeyPem: string;
}

export interface JwtClaims {
  iss: string;
  aud: string | string[];
  iat: number;
  exp: number;
  jti: string;
  session_name?: string;
}

export type JwtResult = { ok: true; claims: JwtClaims; app: OAuthApp } | { ok: false; reason: string };

/** Clock skew tolerated on `iat`, seconds. */
const IAT_SKEW_SEC = 60;

function decodePart(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

const keyCache = new Map<string, KeyObject>();
function publicKey(pem: string): KeyObject {
  let key = keyCache.get(pem);
  if (!key) {
    key = createPublicKey(pem);
    keyCache.set(pem, key);
  }
  return key;
}

export interface VerifyContext {
  apps: readonly OAuthApp[];
  audience: string;
  nowSec: number;
  /** True when the jti was used before (and is still remembered). */
  jtiUsed: (jti: string) => boolean;
}

/** Checks header, signature and claims. Does not record the jti; the caller does that on success. */
export function verifyJwt(token: string, ctx: VerifyContext): JwtResult {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed JWT' };
  const [h, p, s] = parts as [string, string, string];
  const header = decodePart(h);
  const payload = decodePart(p);
  if (!header || !payload) return { ok: false, reason: 'malformed JWT' };
  if (header.alg !== 'RS256') return { ok: false, reason: 'JWT alg must be RS256' };
  if (header.typ !== 'JWT') return { ok: false, reason: 'JWT typ must be JWT' };
  const app = ctx.apps.find((a) => a.clientId === payload.iss);
  if (!app) return { ok: false, reason: 'unknown app (iss)' };
  if (header.kid !== app.keyId) return { ok: false, reason: 'unknown public key (kid)' };
  let good = false;
  try {
    good = verify(
      'RSA-SHA256',
      Buffer.from(`${h}.${p}`),
      publicKey(app.publicKeyPem),
      Buffer.from(s, 'base64url'),
    );
  } catch {
    good = false;
  }
  if (!good) return { ok: false, reason: 'bad JWT signature' };
  const { aud, iat, exp, jti, session_name } = payload;
  const audOk = aud === ctx.audience || (Array.isArray(aud) && aud.includes(ctx.audience));
  if (!audOk) return { ok: false, reason: `JWT aud must be ${ctx.audience}` };
  if (typeof iat !== 'number' || typeof exp !== 'number') return { ok: false, reason: 'JWT iat/exp missing' };
  if (iat > ctx.nowSec + IAT_SKEW_SEC) return { ok: false, reason: 'JWT iat is in the future' };
  if (exp <= iat) return { ok: false, reason: 'JWT exp must be after iat' };
  if (ctx.nowSec >= exp) return { ok: false, reason: 'JWT expired' };
  if (typeof jti !== 'string' || jti === '') return { ok: false, reason: 'JWT jti missing' };
  if (ctx.jtiUsed(jti)) return { ok: false, reason: 'JWT jti already used' };
  if (session_name !== undefined && typeof session_name !== 'string') {
    return { ok: false, reason: 'JWT session_name must be a string' };
  }
  const claims: JwtClaims = { iss: app.clientId, aud: aud as string | string[], iat, exp, jti };
  if (session_name !== undefined) claims.session_name = session_name;
  return { ok: true, claims, app };
}
