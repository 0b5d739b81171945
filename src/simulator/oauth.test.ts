import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from './index.js';
import { JWT_GRANT } from './oauth.js';
import { call, startTestSimulator } from './testing.js';

const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const wrong = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (k: typeof pair.privateKey): string => k.export({ type: 'pkcs8', format: 'pem' }).toString();
const APP = { clientId: '1127900100000', keyId: 'fingerprint-1' };
let sim: Simulator;

async function signJwt(
  opts: { aud?: string; jti?: string; exp?: number; key?: string; session?: string } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { iss: APP.clientId, aud: opts.aud ?? new URL(sim.url).host };
  payload.jti = opts.jti ?? randomUUID();
  if (opts.session !== undefined) payload.session_name = opts.session;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: APP.keyId })
    .setIssuedAt(opts.exp !== undefined ? opts.exp - 3600 : now)
    .setExpirationTime(opts.exp ?? now + 3600)
    .sign(await importPKCS8(opts.key ?? pem(pair.privateKey), 'RS256'));
}

function exchange(jwt: string, body: Record<string, unknown> = { grant_type: JWT_GRANT }) {
  return call(sim, '/api/permission/oauth2/token', { body, token: jwt });
}

beforeAll(async () => {
  sim = await startTestSimulator({
    oauthApps: [{ ...APP, publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() }],
  });
});
afterAll(() => sim.close());

describe('POST /api/permission/oauth2/token', () => {
  it('exchanges a JWT for a czs_ token whose expires_in is an absolute epoch', async () => {
    const before = Math.floor(Date.now() / 1000);
    const r = await exchange(await signJwt({ session: 'visitor-1' }));
    expect(r.status).toBe(200);
    expect(r.headers.get('x-tt-logid')).toMatch(/^\d{14}[0-9A-F]{20}$/);
    expect(Object.keys(r.json).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    expect(r.json.access_token).toMatch(/^czs_/);
    expect(r.json.expires_in).toBeGreaterThanOrEqual(before + 900);
    expect(r.json.expires_in).toBeLessThan(before + 1000);
    const conv = await call(sim, '/v1/conversation/create', { body: {}, token: r.json.access_token });
    expect(conv.json.code).toBe(0);
    expect(sim.stats().tokenExchangesBySession['visitor-1']).toBe(1);
  });

  it('honours duration_seconds up to 86399 and refuses more', async () => {
    const before = Math.floor(Date.now() / 1000);
    const ok = await exchange(await signJwt(), { grant_type: JWT_GRANT, duration_seconds: 86399 });
    expect(ok.json.expires_in).toBeGreaterThanOrEqual(before + 86399);
    const tooLong = await exchange(await signJwt(), { grant_type: JWT_GRANT, duration_seconds: 86400 });
    expect(tooLong.status).toBe(400);
    expect(tooLong.json.error_code).toBe('invalid_request');
    expect(sim.stats().tokenExchangesBySession['']).toBeGreaterThanOrEqual(1);
  });

  it('refuses a wrong signature, a reused jti, a wrong aud and an expired JWT with invalid_client', async () => {
    const reused = await signJwt({ jti: 'reuse-me' });
    expect((await exchange(reused)).status).toBe(200);
    const failedBefore = sim.stats().tokenRequestsFailed;
    const bad = [
      await signJwt({ key: pem(wrong.privateKey) }),
      reused,
      await signJwt({ aud: 'api.coze.cn' }),
      await signJwt({ exp: Math.floor(Date.now() / 1000) - 60 }),
    ];
    for (const jwt of bad) {
      const r = await exchange(jwt);
      expect(r.status).toBe(401);
      expect(r.json).toMatchObject({ error: 'invalid_client', error_code: 'invalid_client' });
      expect(typeof r.json.error_message).toBe('string');
      expect(r.json.error_description).toBe(r.json.error_message);
      expect(r.headers.get('x-tt-logid')).toBeTruthy();
    }
    expect(sim.stats().tokenRequestsFailed).toBe(failedBefore + 4);
  });

  it('refuses other grant types and bad bodies', async () => {
    const r = await exchange(await signJwt(), { grant_type: 'client_credentials' });
    expect(r.status).toBe(400);
    expect(r.json.error).toBe('unsupported_grant_type');
    const noGrant = await exchange(await signJwt(), {});
    expect(noGrant.json.error).toBe('invalid_request');
  });

  it('lets faults take the endpoint down and shorten token lifetimes', async () => {
    sim.setFaults({ tokenEndpointDown: true });
    const down = await exchange(await signJwt());
    expect(down.status).toBe(500);
    expect(down.json.error_code).toBe('internal_error');
    sim.setFaults({ tokenEndpointDown: false, tokenMaxDurationSeconds: 0 });
    const short = await exchange(await signJwt());
    expect(short.status).toBe(200);
    const refused = await call(sim, '/v1/conversation/create', { body: {}, token: short.json.access_token });
    expect(refused.status).toBe(401);
    expect(refused.json).toMatchObject({ code: 4100, msg: 'authentication is invalid' });
    sim.resetFaults();
  });
});
