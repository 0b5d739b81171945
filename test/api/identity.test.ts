import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, get, post, signedSession, visitor } from '../helpers/client.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const SECRET = 'identity-secret-0123456789';
const PREVIOUS = 'identity-previous-0123456789';
const ADMIN = 'admin-token-0123456789abcdef';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({
    GATEWAY_SECRET: SECRET,
    GATEWAY_SECRET_PREVIOUS: PREVIOUS,
    GATEWAY_ADMIN_TOKEN: ADMIN,
    MAX_CONVERSATIONS_PER_USER: '3',
  });
});
afterAll(() => gw?.stop());

async function signed(body: object, secret = SECRET) {
  const r = await signedSession(gw.url, secret, JSON.stringify(body));
  return {
    status: r.status,
    body: (await r.json()) as { token: string; user_id: string; error?: { code: string } },
  };
}

describe('business context', () => {
  it('a signed session carries context to the bot as custom variables; the browser cannot add any', async () => {
    const s = await signed({ user: { id: 'ctx-1' }, context: { order_id: '42', level: 'gold' } });
    expect(s.status).toBe(201);
    const r = await chat(gw.url, s.body.token, '#vars');
    expect(r.body.answer).toBe('Variables: level=gold, order_id=42');

    const v = await visitor(gw.url);
    const smuggled = await post(gw.url, '/v1/chat', v, {
      message: '#vars',
      custom_variables: { level: 'platinum' },
      meta_data: { level: 'platinum' },
    });
    expect(((await smuggled.json()) as { answer: string }).answer).toBe('Variables: (none)');
  });

  it('an SSO JWT may carry context too', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ sub: 'sso-1', aud: 'default', context: { page: 'checkout' } })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(new TextEncoder().encode(SECRET));
    const r = await post(gw.url, '/v1/sessions/sso', undefined, { token });
    expect(r.status).toBe(201);
    const { token: session } = (await r.json()) as { token: string };
    expect((await chat(gw.url, session, '#vars')).body.answer).toBe('Variables: page=checkout');
  });

  it('refuses malformed context', async () => {
    const s = await signed({ user: { id: 'ctx-2' }, context: { 'bad key!': 'x' } });
    expect(s.status).toBe(400);
    expect(s.body.error?.code).toBe('GW_INVALID_REQUEST');
  });
});

describe('a visitor who logs in', () => {
  it('keeps their history, and the bot still knows them, under the identified user', async () => {
    const v = await visitor(gw.url);
    const first = await chat(gw.url, v, 'my name is Wang Wu');
    const cid = first.body.conversation_id;

    const s = await signed({ user: { id: 'customer-7' }, merge_visitor: v });
    expect(s.status).toBe(201);
    const list = await (await get(gw.url, '/v1/conversations', s.body.token)).json();
    expect(list.conversations.map((c: { id: string }) => c.id)).toEqual([cid]);
    const next = await chat(gw.url, s.body.token, 'what is my name?', cid);
    expect(next.body.answer).toBe('Your name is Wang Wu.');

    // The visitor token is spent.
    expect((await get(gw.url, '/v1/conversations', v)).status).toBe(401);
  });

  it('refuses to merge a token that is not a live visitor of the app', async () => {
    const other = await signed({ user: { id: 'someone' } });
    const s = await signed({ user: { id: 'thief' }, merge_visitor: other.body.token });
    expect(s.status).toBe(400);
    expect(s.body.error?.code).toBe('GW_INVALID_REQUEST');
  });
});

describe('replays and nonces', () => {
  it('two genuine requests for one user in the same second pass when they carry nonces; a replay does not', async () => {
    const user = { id: 'two-tabs' };
    const raw = (nonce: string) => JSON.stringify({ user, nonce });
    const ts = Math.floor(Date.now() / 1000);
    const send = (body: string) => signedSession(gw.url, SECRET, body, ts);
    expect((await send(raw('tab-1'))).status).toBe(201);
    expect((await send(raw('tab-2'))).status).toBe(201);
    const replay = await send(raw('tab-1'));
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: { code: string } }).error.code).toBe('GW_REPLAYED');
  });
});

describe('secret rotation', () => {
  it('accepts requests signed with either the current or the previous secret, and no other', async () => {
    expect((await signed({ user: { id: 'r1' } }, SECRET)).status).toBe(201);
    expect((await signed({ user: { id: 'r2' } }, PREVIOUS)).status).toBe(201);
    expect((await signed({ user: { id: 'r3' } }, 'some-other-secret-0123')).status).toBe(401);
  });
});

describe('limits', () => {
  it('caps the conversations of one user', async () => {
    const s = (await signed({ user: { id: 'busy-user' } })).body.token;
    for (let i = 0; i < 3; i++) expect((await chat(gw.url, s, `c${i}`)).status).toBe(200);
    const r = await post(gw.url, '/v1/chat', s, { message: 'one more' });
    expect(r.status).toBe(409);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('GW_TOO_MANY_CONVERSATIONS');
  });

  it('limits messages per user with 429, Retry-After and a code; other users are not affected', async () => {
    const limited = await startTestGateway({ RATE_LIMIT_USER: '6/3' });
    try {
      const a = await visitor(limited.url);
      const first = await chat(limited.url, a, 'one');
      await chat(limited.url, a, 'two', first.body.conversation_id);
      await chat(limited.url, a, 'three', first.body.conversation_id);
      const refused = await post(limited.url, '/v1/chat', a, {
        message: 'four',
        conversation_id: first.body.conversation_id,
      });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const body = (await refused.json()) as { error: { code: string; limit: string } };
      expect(body.error).toMatchObject({ code: 'GW_RATE_LIMITED', limit: 'user' });
      const b = await visitor(limited.url);
      expect((await chat(limited.url, b, 'hello')).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });

  it('limits new sessions per address', async () => {
    const limited = await startTestGateway({ RATE_LIMIT_SESSIONS_PER_IP: '60/2' });
    try {
      const codes = [];
      for (let i = 0; i < 3; i++)
        codes.push((await fetch(`${limited.url}/v1/sessions/visitor`, { method: 'POST' })).status);
      expect(codes).toEqual([201, 201, 429]);
    } finally {
      await limited.stop();
    }
  });
});

describe('admin endpoints', () => {
  it('need the admin token; the apps they list carry no secrets', async () => {
    expect((await get(gw.url, '/admin/apps')).status).toBe(403);
    expect((await get(gw.url, '/admin/apps', 'wrong-token-0123456789')).status).toBe(403);
    const r = await get(gw.url, '/admin/apps', ADMIN);
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(JSON.parse(text).apps[0]).toMatchObject({ id: 'default', secrets: ['***', '***'] });
    expect(text).not.toContain(SECRET);
    expect((await get(gw.url, '/metrics')).status).toBe(403);
    expect((await get(gw.url, '/metrics', ADMIN)).status).toBe(200);
  });
});
