import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from './index.js';
import { call, startTestSimulator } from './testing.js';

let sim: Simulator;
const lines: string[] = [];
beforeAll(async () => {
  sim = await startTestSimulator({ log: (l) => lines.push(l) });
});
afterAll(() => sim.close());

describe('dispatcher', () => {
  it('answers unknown paths with a 404 envelope and a log id', async () => {
    const r = await call(sim, '/v9/nothing');
    expect(r.status).toBe(404);
    expect(r.json.code).not.toBe(0);
    expect(r.json.detail.logid).toBe(r.headers.get('x-tt-logid'));
  });

  it('needs a bearer token on API routes', async () => {
    const r = await call(sim, '/v1/conversations?bot_id=1', { token: null });
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ code: 4100, msg: 'authentication is invalid' });
  });

  it('accepts the enterprise token path variant and logs requests', async () => {
    const r = await call(sim, '/api/permission/oauth2/account/123/token', { body: { grant_type: 'x' } });
    expect(r.json.error_code).toBe('unsupported_grant_type');
    await expect.poll(() => lines.some((l) => l.startsWith('GET /v9/nothing -> 404'))).toBe(true);
  });
});
