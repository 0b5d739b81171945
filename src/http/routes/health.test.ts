// Liveness, readiness, metrics and /v1/meta through fastify's inject, on a gateway built from its
// real parts (SQLite in a temp file, the memory Store, the built-in simulator or a dead Coze).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { APP, PRIVATE_KEY } from '../../coze/testing.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ MAX_MESSAGE_CHARS: '300' });
});
afterAll(() => gw?.stop());

describe('GET /health', () => {
  it('answers ok with a request id', async () => {
    const r = await gw.app.inject({ method: 'GET', url: '/health' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ok' });
    expect(r.headers['x-request-id']).toMatch(/^rq_/);
  });
});

describe('GET /ready', () => {
  it('is ready when the ledger, the store and a Coze token all answer', async () => {
    const r = await gw.app.inject({ method: 'GET', url: '/ready' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      status: 'ready',
      checks: { ledger: 'ok', store: 'ok', coze_token: 'ok' },
    });
  });

  it('is 503 and names the part that is down when Coze cannot be reached', async () => {
    // OAuth credentials against a port nothing listens on: the token exchange cannot happen.
    const dead = await startTestGateway({
      COZE_BASE_URL: 'http://127.0.0.1:1',
      COZE_CLIENT_ID: APP.clientId,
      COZE_KEY_ID: APP.keyId,
      COZE_PRIVATE_KEY: PRIVATE_KEY,
      COZE_BOT_ID: '7500000000000000001',
    });
    try {
      const r = await dead.app.inject({ method: 'GET', url: '/ready' });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toEqual({
        status: 'not_ready',
        checks: { ledger: 'ok', store: 'ok', coze_token: 'GW_UPSTREAM_UNAVAILABLE' },
      });
      // Liveness does not depend on Coze.
      expect((await dead.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    } finally {
      await dead.stop();
    }
  });
});

describe('GET /metrics', () => {
  it('serves the Prometheus text without a token while GATEWAY_ADMIN_TOKEN is unset', async () => {
    const r = await gw.app.inject({ method: 'GET', url: '/metrics' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.body).toContain('# TYPE gateway_turns_total counter');
    expect(r.body).toContain('# TYPE gateway_errors_total counter');
  });

  it('counts refusals by code', async () => {
    await gw.app.inject({ method: 'GET', url: '/v1/meta?app=no-such-app' });
    const r = await gw.app.inject({ method: 'GET', url: '/metrics' });
    expect(r.body).toMatch(/^gateway_errors_total\{code="GW_UNKNOWN_APP"\} [1-9]/m);
  });
});

describe('GET /v1/meta', () => {
  it('tells a page what it needs before it has a session', async () => {
    const r = await gw.app.inject({ method: 'GET', url: '/v1/meta' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      name: 'coze-gateway',
      app: 'default',
      visitors: true,
      max_message_chars: 300,
    });
  });

  it('answers an unknown app with a coded 404', async () => {
    const r = await gw.app.inject({ method: 'GET', url: '/v1/meta?app=no-such-app' });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toEqual({ error: { code: 'GW_UNKNOWN_APP', message: 'No app "no-such-app".' } });
  });
});
