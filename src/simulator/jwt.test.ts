import { generateKeyPairSync } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { type OAuthApp, verifyJwt } from './jwt.js';

const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const app: OAuthApp = {
  clientId: '1127900100000',
  keyId: 'kid-1',
  publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
};
const now = Math.floor(Date.now() / 1000);

async function sign(
  claims: Record<string, unknown>,
  opts: { key?: string; kid?: string; iat?: number; exp?: number } = {},
): Promise<string> {
  const pem = opts.key ?? pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = await importPKCS8(pem, 'RS256');
  return new SignJWT({ iss: app.clientId, aud: 'api.coze.test', jti: 'j1', ...claims })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: opts.kid ?? app.keyId })
    .setIssuedAt(opts.iat ?? now)
    .setExpirationTime(opts.exp ?? now + 3600)
    .sign(key);
}

const ctx = { apps: [app], audience: 'api.coze.test', nowSec: now, jtiUsed: (j: string) => j === 'used' };

describe('verifyJwt', () => {
  it('accepts a well-formed JWT and returns its session_name', async () => {
    const r = verifyJwt(await sign({ session_name: 'alice' }), ctx);
    expect(r).toMatchObject({ ok: true, claims: { session_name: 'alice', jti: 'j1' } });
  });

  it('refuses bad signatures, unknown kid, wrong aud, expiry, future iat, reused jti', async () => {
    const otherKey = other.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const cases: [Promise<string>, RegExp][] = [
      [sign({}, { key: otherKey }), /signature/],
      [sign({}, { kid: 'nope' }), /kid/],
      [sign({ aud: 'api.coze.cn' }), /aud/],
      [sign({}, { iat: now - 7200, exp: now - 10 }), /expired/],
      [sign({}, { iat: now + 600, exp: now + 3600 }), /future/],
      [sign({ jti: 'used' }), /jti/],
      [sign({ iss: 'unknown' }), /iss/],
    ];
    for (const [token, reason] of cases) {
      const r = verifyJwt(await token, ctx);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    }
    expect(verifyJwt('a.b', ctx)).toEqual({ ok: false, reason: 'malformed JWT' });
  });

  it('refuses a non-RS256 header', async () => {
    const token = await sign({});
    const [, p, s] = token.split('.');
    const h = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: app.keyId })).toString('base64url');
    expect(verifyJwt(`${h}.${p}.${s}`, ctx)).toMatchObject({ ok: false, reason: /RS256/ });
  });
});
