// Admin endpoints (`/admin/apps`, and `/metrics` once GATEWAY_ADMIN_TOKEN is set) through fastify's
// inject, on a gateway built from its real parts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../test/helpers/gateway.js';

const ADMIN = 'admin-token-0123456789abcdef';
const SECRET = 'app-secret-0123456789abcdef';
const refused = { error: { code: 'GW_ADMIN_FORBIDDEN', message: 'A valid admin token is required.' } };

describe('with GATEWAY_ADMIN_TOKEN set', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ GATEWAY_ADMIN_TOKEN: ADMIN, GATEWAY_SECRET: SECRET });
  });
  afterAll(() => gw?.stop());

  const get = (url: string, authorization?: string) =>
    gw.app.inject({ method: 'GET', url, headers: authorization ? { authorization } : {} });

  it('refuses /admin/apps without the token, with a wrong one, or in another scheme', async () => {
    for (const authorization of [
      undefined,
      'Bearer wrong-token-0123456789abcdef',
      `Bearer ${ADMIN}x`,
      `Bearer ${ADMIN.slice(0, -1)}`,
      `Basic ${ADMIN}`,
      ADMIN,
      'Bearer ',
    ]) {
      const r = await get('/admin/apps', authorization);
      expect(r.statusCode, String(authorization)).toBe(403);
      expect(r.json()).toEqual(refused);
    }
  });

  it('lists the apps for the right token, without their secrets', async () => {
    const r = await get('/admin/apps', `Bearer ${ADMIN}`);
    expect(r.statusCode).toBe(200);
    const body = r.json() as { apps: { id: string; secrets: string[] }[] };
    expect(body.apps.map((a) => a.id)).toEqual(['default']);
    expect(body.apps[0].secrets).toEqual(['***']);
    expect(r.body).not.toContain(SECRET);
    expect(r.body).not.toContain(ADMIN);
  });

  it('guards /metrics with the same token', async () => {
    const without = await get('/metrics');
    expect(without.statusCode).toBe(403);
    expect(without.json()).toEqual(refused);
    expect((await get('/metrics', 'Bearer wrong-token-0123456789abcdef')).statusCode).toBe(403);
    const ok = await get('/metrics', `Bearer ${ADMIN}`);
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('gateway_errors_total');
  });
});

describe('without GATEWAY_ADMIN_TOKEN', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw?.stop());

  it('admin endpoints are off, whatever token is sent', async () => {
    for (const headers of [{}, { authorization: `Bearer ${ADMIN}` }, { authorization: 'Bearer ' }]) {
      const r = await gw.app.inject({ method: 'GET', url: '/admin/apps', headers });
      expect(r.statusCode).toBe(403);
      expect(r.json()).toEqual({
        error: {
          code: 'GW_ADMIN_FORBIDDEN',
          message: 'Admin endpoints are off (GATEWAY_ADMIN_TOKEN is not set).',
        },
      });
    }
  });
});
