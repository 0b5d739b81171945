// CORS and origin checks through fastify's inject, on a gateway built from its real parts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../test/helpers/gateway.js';

const SHOP = 'https://shop.example';
const BLOG = 'https://blog.example';
const forbidden = {
  error: { code: 'GW_ORIGIN_FORBIDDEN', message: 'This page is not allowed to use the chat.' },
};

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ ALLOWED_ORIGINS: `${SHOP},${BLOG}` });
});
afterAll(() => gw?.stop());

const preflight = (origin: string) =>
  gw.app.inject({
    method: 'OPTIONS',
    url: '/v1/chat/stream',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });

async function visitorFrom(origin: string): Promise<string> {
  const r = await gw.app.inject({ method: 'POST', url: '/v1/sessions/visitor', headers: { origin } });
  expect(r.statusCode).toBe(201);
  return (r.json() as { token: string }).token;
}

describe('CORS', () => {
  it('answers a preflight from an allowed page with what the widget sends', async () => {
    const r = await preflight(SHOP);
    expect(r.statusCode).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBe(SHOP);
    expect(r.headers.vary).toMatch(/\bOrigin\b/);
    expect(r.headers['access-control-allow-methods']).toContain('POST');
    const allowed = String(r.headers['access-control-allow-headers']).split(/,\s*/);
    expect(allowed).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'idempotency-key', 'last-event-id']),
    );
    expect(String(r.headers['access-control-expose-headers'])).toContain('retry-after');
  });

  it('refuses a preflight and any request from a page no app allows, with a coded 403', async () => {
    for (const origin of [
      'https://evil.example',
      'https://shop.example.evil.example',
      'http://shop.example',
      'null',
    ]) {
      const pre = await preflight(origin);
      expect(pre.statusCode, origin).toBe(403);
      expect(pre.json()).toEqual(forbidden);
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
      const meta = await gw.app.inject({ method: 'GET', url: '/v1/meta', headers: { origin } });
      expect(meta.statusCode).toBe(403);
      expect(meta.json()).toEqual(forbidden);
      const visitor = await gw.app.inject({
        method: 'POST',
        url: '/v1/sessions/visitor',
        headers: { origin },
      });
      expect(visitor.statusCode).toBe(403);
      expect(visitor.json()).toEqual(forbidden);
    }
  });

  it('lets requests without an Origin through (a host backend, curl), with no CORS headers', async () => {
    const r = await gw.app.inject({ method: 'GET', url: '/v1/meta' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("allows the gateway's own pages", async () => {
    const r = await gw.app.inject({
      method: 'GET',
      url: '/v1/meta',
      headers: { host: 'chat.example:8080', origin: 'http://chat.example:8080' },
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe('http://chat.example:8080');
  });
});

describe('a visitor session is bound to the page it was made for', () => {
  it('works from that page and is refused from another allowed page', async () => {
    const token = await visitorFrom(SHOP);
    const list = (origin: string) =>
      gw.app.inject({
        method: 'GET',
        url: '/v1/conversations',
        headers: { origin, authorization: `Bearer ${token}` },
      });
    expect((await list(SHOP)).statusCode).toBe(200);
    const other = await list(BLOG);
    expect(other.statusCode).toBe(403);
    expect(other.json()).toEqual({
      error: {
        code: 'GW_ORIGIN_FORBIDDEN',
        message: 'This visitor session works only from the page it was made for.',
      },
    });
  });
});
