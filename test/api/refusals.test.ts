import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/identity/index.js';
import { chat, get, post, visitor } from '../helpers/client.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const SECRET = 'test-secret-0123456789abcdef';
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ GATEWAY_SECRET: SECRET, MAX_MESSAGE_CHARS: '100' });
});
afterAll(() => gw.stop());

async function errorOf(r: Response) {
  return { status: r.status, code: ((await r.json()) as { error: { code: string } }).error.code };
}

describe('bad bodies get 400 with a code and never reach Coze', () => {
  const cases: [string, string | object, string][] = [
    ['not JSON', '{"message": "hi"', 'GW_INVALID_JSON'],
    ['no message', {}, 'GW_INVALID_REQUEST'],
    ['an empty message', { message: '   ' }, 'GW_INVALID_REQUEST'],
    ['a message that is a number', { message: 42 }, 'GW_INVALID_REQUEST'],
    [
      'a conversation id that is an object',
      { message: 'hi', conversation_id: { $ne: 1 } },
      'GW_INVALID_REQUEST',
    ],
    ['a JSON array', [1, 2], 'GW_INVALID_REQUEST'],
    ['a message over the size limit', { message: 'x'.repeat(101) }, 'GW_MESSAGE_TOO_LONG'],
    ['a NUL character', { message: 'a\u0000b' }, 'GW_INVALID_REQUEST'],
  ];
  for (const [what, body, code] of cases) {
    it(`refuses ${what}`, async () => {
      const token = await visitor(gw.url);
      const chatsBefore = gw.simulator!.stats().chats;
      for (const path of ['/v1/chat', '/v1/chat/stream']) {
        expect(await errorOf(await post(gw.url, path, token, body))).toEqual({ status: 400, code });
      }
      expect(gw.simulator!.stats().chats).toBe(chatsBefore);
    });
  }

  it('refuses a body over the byte limit with 413', async () => {
    const token = await visitor(gw.url);
    const r = await post(gw.url, '/v1/chat', token, { message: 'x'.repeat(70 * 1024) });
    expect(await errorOf(r)).toEqual({ status: 413, code: 'GW_BODY_TOO_LARGE' });
  });

  it('refuses a body that is not sent as JSON with 415', async () => {
    const token = await visitor(gw.url);
    const r = await post(gw.url, '/v1/chat', token, 'message=hi', {
      headers: { 'content-type': 'text/plain' },
    });
    expect(await errorOf(r)).toEqual({ status: 415, code: 'GW_UNSUPPORTED_MEDIA_TYPE' });
  });

  it('answers an unknown path with a coded 404', async () => {
    expect(await errorOf(await get(gw.url, '/v1/nope'))).toEqual({ status: 404, code: 'GW_NOT_FOUND' });
  });
});

describe('session tokens', () => {
  it('refuses a missing, malformed or unknown token with 401', async () => {
    expect(await errorOf(await post(gw.url, '/v1/chat', undefined, { message: 'hi' }))).toEqual({
      status: 401,
      code: 'GW_UNAUTHENTICATED',
    });
    expect(await errorOf(await post(gw.url, '/v1/chat', 'not-a-token', { message: 'hi' }))).toEqual({
      status: 401,
      code: 'GW_UNAUTHENTICATED',
    });
    const forged = `gws_${'A'.repeat(43)}`;
    expect(await errorOf(await post(gw.url, '/v1/chat', forged, { message: 'hi' }))).toEqual({
      status: 401,
      code: 'GW_SESSION_EXPIRED',
    });
    expect(await errorOf(await get(gw.url, '/v1/conversations', forged))).toMatchObject({ status: 401 });
  });

  it('refuses an expired token with 401', async () => {
    // A gateway of its own whose sessions last 2 s (the shortest the clock of a loaded machine
    // leaves room for a first request in): the rest of this file keeps the default lifetime.
    const short = await startTestGateway({ SESSION_TTL: '2' });
    try {
      const token = await visitor(short.url);
      expect((await get(short.url, '/v1/conversations', token)).status).toBe(200);
      await expect
        .poll(async () => errorOf(await get(short.url, '/v1/conversations', token)), { timeout: 15_000 })
        .toEqual({ status: 401, code: 'GW_SESSION_EXPIRED' });
      expect(await errorOf(await post(short.url, '/v1/chat', token, { message: 'too late' }))).toEqual({
        status: 401,
        code: 'GW_SESSION_EXPIRED',
      });
      expect(short.simulator!.stats().chats).toBe(0);
    } finally {
      await short.stop();
    }
  });
});

describe('server-to-server sessions (POST /v1/sessions)', () => {
  function signed(body: string, opts: { ts?: number; secret?: string; sig?: string } = {}) {
    const ts = opts.ts ?? Math.floor(Date.now() / 1000);
    return fetch(`${gw.url}/v1/sessions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-gateway-timestamp': String(ts),
        'x-gateway-signature': opts.sig ?? signRequest(opts.secret ?? SECRET, ts, body),
      },
      body,
    });
  }

  it('issues a session for the user the host vouches for, and that user chats as themself', async () => {
    const body = JSON.stringify({ user: { id: 'customer-42', name: 'Li Lei' } });
    const ts = Math.floor(Date.now() / 1000);
    const r = await signed(body, { ts });
    expect(r.status).toBe(201);
    const s = (await r.json()) as { token: string; user_id: string; expires_at: string };
    expect(s.user_id).toBe('customer-42');
    expect(Date.parse(s.expires_at)).toBeGreaterThan(Date.now());
    const c = await chat(gw.url, s.token, 'my name is Li Lei');
    expect(c.status).toBe(200);
    // The same host user, in a new session, finds it again. Each signature is good once, so the
    // second one signs another second (one derived from the clock again could repeat the first;
    // an earlier one could predate the gateway, which its store in memory refuses as possibly used).
    const again = (await (await signed(body, { ts: ts + 1 })).json()) as {
      token: string;
    };
    const list = await (await get(gw.url, '/v1/conversations', again.token)).json();
    expect(list.conversations.map((x: { id: string }) => x.id)).toContain(c.body.conversation_id);
  });

  it('refuses a wrong signature, a wrong secret, a tampered body and a missing signature', async () => {
    const body = JSON.stringify({ user: { id: 'u1' } });
    expect(await errorOf(await signed(body, { secret: 'another-secret-0123456789' }))).toEqual({
      status: 401,
      code: 'GW_BAD_SIGNATURE',
    });
    const ts = Math.floor(Date.now() / 1000);
    const sig = signRequest(SECRET, ts, body);
    expect(await errorOf(await signed(JSON.stringify({ user: { id: 'admin' } }), { ts, sig }))).toEqual({
      status: 401,
      code: 'GW_BAD_SIGNATURE',
    });
    expect(await errorOf(await signed(body, { sig: '' }))).toEqual({ status: 401, code: 'GW_BAD_SIGNATURE' });
  });

  it('refuses a timestamp more than 5 minutes off, either way', async () => {
    const body = JSON.stringify({ user: { id: 'u1' } });
    const now = Math.floor(Date.now() / 1000);
    // Well past the 300 s window either way (the server's second may tick between here and there).
    for (const ts of [now - 330, now + 330]) {
      expect(await errorOf(await signed(body, { ts }))).toEqual({ status: 401, code: 'GW_STALE_TIMESTAMP' });
    }
    // Within the window is accepted (ahead: one dated before this gateway started is refused as
    // possibly replayed, see test/security/sessions.test.ts).
    expect((await signed(body, { ts: now + 270 })).status).toBe(201);
  });

  it('refuses a signed body without a user id', async () => {
    expect(await errorOf(await signed(JSON.stringify({ user: {} })))).toEqual({
      status: 400,
      code: 'GW_INVALID_REQUEST',
    });
  });

  it('a host user whose id equals a visitor id does not see that visitor conversations', async () => {
    const v = (await (await fetch(`${gw.url}/v1/sessions/visitor`, { method: 'POST' })).json()) as {
      token: string;
      user_id: string;
    };
    await chat(gw.url, v.token, 'my name is Visitor');
    expect((await (await get(gw.url, '/v1/conversations', v.token)).json()).conversations).toHaveLength(1);
    const u = (await (await signed(JSON.stringify({ user: { id: v.user_id } }))).json()) as { token: string };
    expect((await (await get(gw.url, '/v1/conversations', u.token)).json()).conversations).toEqual([]);
  });
});

describe('a gateway without GATEWAY_SECRET or visitors', () => {
  it('refuses signed sessions and visitors with coded errors', async () => {
    const closed = await startTestGateway({ GATEWAY_VISITORS: 'false' });
    try {
      const r = await post(closed.url, '/v1/sessions', undefined, { user: { id: 'x' } });
      expect(await errorOf(r)).toEqual({ status: 401, code: 'GW_BAD_SIGNATURE' });
      const v = await fetch(`${closed.url}/v1/sessions/visitor`, { method: 'POST' });
      expect(await errorOf(v)).toEqual({ status: 403, code: 'GW_VISITORS_DISABLED' });
    } finally {
      await closed.stop();
    }
  });
});
