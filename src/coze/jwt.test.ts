import { generateKeyPairSync } from 'node:crypto';
import { decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAssertionSigner, validatePrivateKey } from './jwt.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pkcs8 = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const spki = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();

describe('validatePrivateKey', () => {
  it('accepts an RSA PKCS#8 key', () => {
    expect(() => validatePrivateKey(pkcs8)).not.toThrow();
  });
  it('explains how to convert a PKCS#1 key', () => {
    const pkcs1 = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    expect(() => validatePrivateKey(pkcs1)).toThrow(/PKCS#1.*openssl pkcs8/);
  });
  it('rejects a non-RSA key, garbage, and never echoes the key', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    expect(() => validatePrivateKey(ec.toString())).toThrow(/RSA/);
    const broken = '-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----';
    expect(() => validatePrivateKey(broken)).toThrow(/could not be read/);
    try {
      validatePrivateKey(pkcs8.replace('PRIVATE KEY', 'PUBLIC KEY'));
    } catch (e) {
      expect((e as Error).message).not.toContain(pkcs8.split('\n')[1]);
    }
  });
});

describe('assertion (§2.2 step 2)', () => {
  it('is RS256 with typ and kid, and carries iss, aud (host with port), iat, exp, jti, session_name', async () => {
    const signer = createAssertionSigner(
      { clientId: '1127900100000', keyId: 'kid-1', privateKeyPem: pkcs8, ttlSeconds: 900 },
      'localhost:8443',
    );
    const now = 1_750_000_000_000;
    const jwt = await signer.sign('biz-user-42', now);
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'kid-1' });
    const { payload } = await jwtVerify(jwt, await importSPKI(spki, 'RS256'), {
      currentDate: new Date(now),
      issuer: '1127900100000',
      audience: 'localhost:8443',
    });
    expect(payload).toMatchObject({ iat: now / 1000, session_name: 'biz-user-42', aud: 'localhost:8443' });
    expect(payload.exp! - payload.iat!).toBeGreaterThan(0);
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(3600);
    expect(payload.jti).toMatch(/^[0-9a-f]{64}$/);
    const again = await signer.sign('biz-user-42', now);
    expect(decodeJti(again)).not.toBe(payload.jti);
  });
});

function decodeJti(jwt: string): unknown {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).jti;
}
