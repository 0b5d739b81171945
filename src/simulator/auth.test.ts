import { generateKeyPairSync } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { AuthStore } from './auth.js';

const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const app = {
  clientId: '42',
  keyId: 'k',
  publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
};

async function jwt(jti: string, session?: string): Promise<string> {
  const key = await importPKCS8(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'RS256');
  return new SignJWT({ iss: '42', aud: 'sim:1', jti, ...(session ? { session_name: session } : {}) })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'k' })
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(key);
}

describe('AuthStore', () => {
  it('identifies PATs and issued tokens by scope', async () => {
    const auth = new AuthStore(['pat_a'], [app], 'sim:1');
    expect(auth.identify('Bearer pat_a')?.scope).toBe('pat:pat_a');
    expect(auth.identify('Bearer pat_b')).toBeNull();
    expect(auth.identify(undefined)).toBeNull();
    const r = await auth.exchange(await jwt('1', 'alice'), 900, null);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.accessToken).toMatch(/^czs_/);
    expect(r.expiresIn).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 899);
    expect(auth.identify(`Bearer ${r.accessToken}`)).toMatchObject({ scope: 'session:alice' });
    expect(auth.identify(`Bearer ${r.accessToken}`)?.creatorId).toMatch(/^\d{16}$/);
  });

  it('refuses a reused jti and lets a duration cap expire tokens at once', async () => {
    const auth = new AuthStore([], [app], 'sim:1');
    const token = await jwt('same');
    expect(auth.exchange(token, 900, 0).ok).toBe(true);
    expect(auth.exchange(token, 900, null)).toMatchObject({ ok: false, reason: /jti/ });
    const capped = auth.exchange(await jwt('other'), 900, 0);
    if (!capped.ok) throw new Error('exchange failed');
    expect(auth.identify(`Bearer ${capped.accessToken}`)).toBeNull();
  });
});
