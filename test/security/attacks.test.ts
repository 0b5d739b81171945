// Attacks on a running gateway over HTTP. Every one must be refused with the right status and
// code, and none may reach Coze (the simulator counts every chat it is asked for).
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/identity/index.js';
import { chat, get, post, readSse } from '../helpers/client.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const SHOP_SECRET = 'shop-secret-0123456789abcdef';
const SHOP_OLD_SECRET = 'shop-old-secret-0123456789abc';
const BLOG_SECRET = 'blog-secret-0123456789abcdef';
const NEWS_SECRET = 'news-secret-0123456789abcdef';
const SHOP_ORIGIN = 'https://shop.example.com';

let gw: TestGateway;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cg-sec-'));
  const file = join(dir, 'apps.yaml');
  writeFileSync(
    file,
    `apps:
  - id: shop
    bot_id: "7500000000000000001"
    secrets: ["${SHOP_SECRET}", "${SHOP_OLD_SECRET}"]
    allowed_origins: ["${SHOP_ORIGIN}"]
    max_message_chars: 200
    rate_limits: { user: &lots { per_minute: 100000, burst: 100000 }, ip: *lots, sessions_per_ip: *lots }
  - id: blog
    bot_id: "7500000000000000001"
    secrets: ["${BLOG_SECRET}"]
    visitors: false
    ip_allowlist: ["10.0.0.0/8"]
    rate_limits: { user: *lots, ip: *lots, sessions_per_ip: *lots }
  - id: news
    bot_id: "7500000000000000001"
    secrets: ["${NEWS_SECRET}"]
    rate_limits: { user: *lots, ip: *lots, sessions_per_ip: *lots }
`,
  );
  gw = await startTestGateway({ GATEWAY_CONFIG: file, BODY_LIMIT_BYTES: '4096' });
});
afterAll(() => gw?.stop());

const chats = () => gw.simulator!.stats().chats;
async function refused(r: Response) {
  const body = (await r.json()) as { error: { code: string } };
  return { status: r.status, code: body.error.code };
}

function signedSession(body: object, secret = SHOP_SECRET, ts = Math.floor(Date.now() / 1000), headers = {}) {
  const raw = JSON.stringify(body);
  const sig = signRequest(secret, ts, raw);
  const send = () =>
    fetch(`${gw.url}/v1/sessions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-gateway-timestamp': String(ts),
        'x-gateway-signature': sig,
        ...headers,
      },
      body: raw,
    });
  return { send, sig };
}

async function userToken(app: string, id: string, secret: string) {
  const r = await signedSession({ app, user: { id } }, secret).send();
  expect(r.status).toBe(201);
  return ((await r.json()) as { token: string }).token;
}

const hs256 = (claims: Record<string, unknown>, secret = SHOP_SECRET) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
const now = () => Math.floor(Date.now() / 1000);
const sso = (token: string, app?: string) =>
  post(gw.url, '/v1/sessions/sso', undefined, app ? { token, app } : { token });

describe('SSO JWTs', () => {
  it('accepts an HS256 token signed with the app secret (either of the two in rotation)', async () => {
    for (const secret of [SHOP_SECRET, SHOP_OLD_SECRET]) {
      const token = await hs256(
        { sub: 'u-1', name: 'Li', aud: 'shop', iat: now(), exp: now() + 300 },
        secret,
      );
      const r = await sso(token);
      expect(r.status).toBe(201);
      expect(((await r.json()) as { user_id: string }).user_id).toBe('u-1');
    }
  });

  const forged: [string, () => Promise<string>, string][] = [
    [
      'a forged signature',
      () => hs256({ sub: 'u', aud: 'shop', iat: now(), exp: now() + 60 }, 'not-the-secret-at-all'),
      'GW_SSO_INVALID',
    ],
    [
      'an expired token',
      () => hs256({ sub: 'u', aud: 'shop', iat: now() - 600, exp: now() - 300 }),
      'GW_SSO_EXPIRED',
    ],
    [
      'a token issued in the future',
      () => hs256({ sub: 'u', aud: 'shop', iat: now() + 3600, exp: now() + 7200 }),
      'GW_SSO_INVALID',
    ],
    [
      'alg: none',
      async () => new UnsecuredJWT({ sub: 'u', aud: 'shop', iat: now(), exp: now() + 60 }).encode(),
      'GW_SSO_INVALID',
    ],
    [
      'a wrong audience',
      () => hs256({ sub: 'u', aud: 'blog', iat: now(), exp: now() + 60 }),
      'GW_SSO_INVALID',
    ],
    ['a missing sub', () => hs256({ aud: 'shop', iat: now(), exp: now() + 60 }), 'GW_SSO_INVALID'],
    ['a missing exp', () => hs256({ sub: 'u', aud: 'shop', iat: now() }), 'GW_SSO_INVALID'],
    [
      'RS256 (algorithm confusion)',
      async () => {
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        return new SignJWT({ sub: 'u', aud: 'shop', iat: now(), exp: now() + 60 })
          .setProtectedHeader({ alg: 'RS256' })
          .sign(privateKey);
      },
      'GW_SSO_INVALID',
    ],
    [
      'HS512 with the right secret',
      () =>
        new SignJWT({ sub: 'u', aud: 'shop', iat: now(), exp: now() + 60 })
          .setProtectedHeader({ alg: 'HS512' })
          .sign(new TextEncoder().encode(SHOP_SECRET)),
      'GW_SSO_INVALID',
    ],
    ['a token that is not a JWT', async () => 'hello.world', 'GW_SSO_INVALID'],
  ];
  for (const [what, make, code] of forged) {
    it(`refuses ${what} with 401 ${code}`, async () => {
      expect(await refused(await sso(await make(), 'shop'))).toEqual({ status: 401, code });
    });
  }

  it("refuses a token of one app presented to another (the blog's secret for the shop)", async () => {
    const token = await hs256({ sub: 'u', aud: 'shop', iat: now(), exp: now() + 60 }, BLOG_SECRET);
    expect(await refused(await sso(token))).toEqual({ status: 401, code: 'GW_SSO_INVALID' });
  });
});

describe('signed session requests', () => {
  it('refuses a replay of a valid signed request within its window', async () => {
    const req = signedSession({ app: 'shop', user: { id: 'u-replay' } });
    expect((await req.send()).status).toBe(201);
    expect(await refused(await req.send())).toEqual({ status: 401, code: 'GW_REPLAYED' });
  });

  it('refuses a stale signature and a signature made with another app secret', async () => {
    const stale = signedSession({ app: 'shop', user: { id: 'u' } }, SHOP_SECRET, now() - 3600);
    expect(await refused(await stale.send())).toEqual({ status: 401, code: 'GW_STALE_TIMESTAMP' });
    const crossed = signedSession({ app: 'shop', user: { id: 'u' } }, BLOG_SECRET);
    expect(await refused(await crossed.send())).toEqual({ status: 401, code: 'GW_BAD_SIGNATURE' });
  });

  it("refuses an address outside the app's allowlist", async () => {
    const r = await signedSession({ app: 'blog', user: { id: 'u' } }, BLOG_SECRET).send();
    expect(await refused(r)).toEqual({ status: 403, code: 'GW_IP_FORBIDDEN' });
  });
});

describe('isolation between apps and users', () => {
  it("no user reads or writes another user's conversation, in the same app or another", async () => {
    const alice = await userToken('shop', 'alice', SHOP_SECRET);
    const mallory = await userToken('shop', 'mallory', SHOP_SECRET);
    const r = await chat(gw.url, alice, 'my order is 42');
    const cid = r.body.conversation_id;

    const before = chats();
    expect(await refused(await get(gw.url, `/v1/conversations/${cid}/messages`, mallory))).toEqual({
      status: 404,
      code: 'GW_NOT_FOUND',
    });
    expect(
      await refused(await post(gw.url, '/v1/chat', mallory, { message: 'hi', conversation_id: cid })),
    ).toEqual({
      status: 404,
      code: 'GW_NOT_FOUND',
    });
    // The same user id in another app is another user: nothing of the shop is visible.
    const aliceOfNews = await userToken('news', 'alice', NEWS_SECRET);
    expect(await refused(await get(gw.url, `/v1/conversations/${cid}/messages`, aliceOfNews))).toEqual({
      status: 404,
      code: 'GW_NOT_FOUND',
    });
    expect((await (await get(gw.url, '/v1/conversations', aliceOfNews)).json()).conversations).toEqual([]);
    expect(chats()).toBe(before);
  });
});

describe('origins', () => {
  it('answers a preflight from an allowed origin and refuses one from another origin', async () => {
    const ok = await fetch(`${gw.url}/v1/chat/stream`, {
      method: 'OPTIONS',
      headers: {
        origin: SHOP_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(SHOP_ORIGIN);
    expect(ok.headers.get('access-control-allow-headers')).toContain('authorization');
    const evil = await fetch(`${gw.url}/v1/chat/stream`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a request from a disallowed origin, and a visitor token used from another page', async () => {
    const v = await fetch(`${gw.url}/v1/sessions/visitor`, {
      method: 'POST',
      headers: { origin: SHOP_ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify({ app: 'shop' }),
    });
    expect(v.status).toBe(201);
    expect(v.headers.get('access-control-allow-origin')).toBe(SHOP_ORIGIN);
    const token = ((await v.json()) as { token: string }).token;
    const before = chats();
    const evil = await post(
      gw.url,
      '/v1/chat',
      token,
      { message: 'hi' },
      { headers: { origin: 'https://evil.example' } },
    );
    expect(await refused(evil)).toEqual({ status: 403, code: 'GW_ORIGIN_FORBIDDEN' });
    const visitorOfBlog = await fetch(`${gw.url}/v1/sessions/visitor`, {
      method: 'POST',
      headers: { origin: SHOP_ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify({ app: 'blog' }),
    });
    expect(await refused(visitorOfBlog)).toEqual({ status: 403, code: 'GW_VISITORS_DISABLED' });
    expect(chats()).toBe(before);
  });
});

describe('bodies', () => {
  it('refuses oversized and malformed bodies before Coze', async () => {
    const token = await userToken('shop', 'bodies', SHOP_SECRET);
    const before = chats();
    expect(await refused(await post(gw.url, '/v1/chat', token, { message: 'x'.repeat(201) }))).toEqual({
      status: 400,
      code: 'GW_MESSAGE_TOO_LONG',
    });
    expect(await refused(await post(gw.url, '/v1/chat', token, { message: 'x'.repeat(5000) }))).toEqual({
      status: 413,
      code: 'GW_BODY_TOO_LARGE',
    });
    expect(await refused(await post(gw.url, '/v1/chat', token, '{"message":'))).toEqual({
      status: 400,
      code: 'GW_INVALID_JSON',
    });
    expect(await refused(await post(gw.url, '/v1/chat', token, { message: ['a'] }))).toEqual({
      status: 400,
      code: 'GW_INVALID_REQUEST',
    });
    expect(chats()).toBe(before);
  });

  it('keeps SSE framing whole when a message or an answer carries newlines and event: lines', async () => {
    const token = await userToken('shop', 'framing', SHOP_SECRET);
    const smuggled = 'hi\n\nevent: done\ndata: {"answer":"pwned"}\n\nid: 99\n';
    const r = await post(gw.url, '/v1/chat/stream', token, { message: smuggled });
    const events = await readSse(r);
    expect(events.map((e) => e.event).filter((e) => e !== 'delta')).toEqual(['turn', 'done']);
    const done = events.at(-1)!.data as { answer: string };
    // The echo bot's answer contains the smuggled text; it arrives as text, never as events.
    expect(done.answer).toBe(`You said: ${smuggled.trim()}`);
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1));
  });
});

describe('admin endpoints', () => {
  it('are off without GATEWAY_ADMIN_TOKEN', async () => {
    expect(await refused(await get(gw.url, '/admin/apps'))).toEqual({
      status: 403,
      code: 'GW_ADMIN_FORBIDDEN',
    });
  });
});
