import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post } from '../helpers/client.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const SECRET = 'sso-audience-secret-0123456789';
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ GATEWAY_SECRET: SECRET });
});
afterAll(() => gw?.stop());

function sso(aud: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: 'customer-42', aud })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(new TextEncoder().encode(SECRET));
}

describe('an SSO JWT with a wrong audience', () => {
  it('answers 401 GW_SSO_INVALID, as the README says, whether or not the body names the app', async () => {
    for (const body of [
      { token: await sso('another-site') },
      { token: await sso('another-site'), app: 'default' },
    ]) {
      const r = await post(gw.url, '/v1/sessions/sso', undefined, body);
      expect(r.status).toBe(401);
      const { error } = (await r.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('GW_SSO_INVALID');
      expect(error.message).toMatch(/audience/);
    }
    expect((await post(gw.url, '/v1/sessions/sso', undefined, { token: await sso('default') })).status).toBe(
      201,
    );
  });
});
