// Identifiers from outside with control characters, direction marks or broken Unicode: refused at
// the door with 400 GW_INVALID_IDENTIFIER, on every database (DIALECTS), never reaching the ledger
// or Coze. The attack of issue 12 (finding 2): with a newline in a user id, user `vic` read and
// wrote the conversation of user `vic\nx` through the found-conversations cache; and (finding 6) a
// NUL in an id made PostgreSQL fail, which was reported as a ledger outage (503).
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, get, post, signedSession } from '../helpers/client.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../helpers/databases.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { selection } from '../helpers/selection.js';

const SECRET = 'identifiers-secret-0123456789';

/** Every kind of character an identifier may not hold. */
const BAD: [string, string][] = [
  ['a newline', 'vic\nx'],
  ['a carriage return', 'vic\rx'],
  ['a tab', 'vic\tx'],
  ['NUL', 'vic\u0000x'],
  ['another C0 control', 'vic\u001bx'],
  ['DEL', 'vic\u007fx'],
  ['a C1 control', 'vic\u0085x'],
  ['a lone high surrogate', 'vic\ud800x'],
  ['a lone low surrogate', 'vic\udc00x'],
  ['a right-to-left override', 'vic\u202ex'],
  ['a left-to-right isolate', 'vic\u2066x'],
  ['a right-to-left mark', 'vic\u200fx'],
  ['an Arabic letter mark', 'vic\u061cx'],
];

async function errorOf(r: Response) {
  const text = await r.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code: string } }).error?.code;
  } catch {}
  return { status: r.status, code, text };
}

/** `id` percent-encoded for a path; a lone surrogate as its three WTF-8 bytes (what a raw client can send). */
function pathSegment(id: string): string {
  return [...id]
    .map((c) => {
      const u = c.charCodeAt(0);
      if (c.length > 1 || u < 0xd800 || u > 0xdfff) return encodeURIComponent(c);
      return [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    })
    .join('');
}

async function session(base: string, id: string) {
  // A nonce: two sessions signed in the same second must differ (each signature is good once).
  return signedSession(base, SECRET, JSON.stringify({ user: { id }, nonce: randomUUID() }));
}

async function token(base: string, id: string): Promise<string> {
  const r = await session(base, id);
  expect(r.status).toBe(201);
  return ((await r.json()) as { token: string }).token;
}

for (const kind of selection('DIALECTS') as DatabaseKind[]) {
  describe(`identifiers from outside, on ${kind}`, () => {
    let db: TestDatabase | undefined;
    let gw: TestGateway;
    beforeAll(async () => {
      const env: Record<string, string> = { GATEWAY_SECRET: SECRET };
      if (kind !== 'sqlite') {
        db = await createTestDatabase(kind);
        env.DATABASE_URL = db.url;
      }
      gw = await startTestGateway(env);
    });
    afterAll(async () => {
      await gw?.stop();
      await db?.drop();
    });
    const chats = () => gw.simulator!.stats().chats;

    it('user "vic" can neither read nor write the conversation of user "vic\\nx" (who is refused)', async () => {
      // The victim's id cannot be signed in with at all.
      expect(await errorOf(await session(gw.url, 'vic\nx'))).toMatchObject({
        status: 400,
        code: 'GW_INVALID_IDENTIFIER',
      });
      // Nor can ids that a newline would join alike reach anybody's conversation: `vic` asks for
      // `x\n<id>` of a conversation that exists (another user's).
      const other = await token(gw.url, 'vicx');
      const theirs = await chat(gw.url, other, 'my secret is 1234');
      expect(theirs.status).toBe(200);
      const vic = await token(gw.url, 'vic');
      const before = chats();
      for (const id of [`x\n${theirs.body.conversation_id}`, `x\u0000${theirs.body.conversation_id}`]) {
        const read = await errorOf(
          await get(gw.url, `/v1/conversations/${encodeURIComponent(id)}/messages`, vic),
        );
        expect(read).toMatchObject({ status: 400, code: 'GW_INVALID_IDENTIFIER' });
        expect(read.text).not.toContain('1234');
        const write = await errorOf(
          await post(gw.url, '/v1/chat', vic, { message: 'and?', conversation_id: id }),
        );
        expect(write).toMatchObject({ status: 400, code: 'GW_INVALID_IDENTIFIER' });
      }
      expect(chats()).toBe(before);
      // The owner still has it, and `vic` has nothing.
      expect((await (await get(gw.url, '/v1/conversations', vic)).json()).conversations).toEqual([]);
    });

    for (const [what, id] of BAD) {
      it(`refuses ${JSON.stringify(what)} in a signed user id, an SSO sub, ids in bodies, paths and headers`, async () => {
        const before = chats();
        expect(await errorOf(await session(gw.url, id))).toMatchObject({
          status: 400,
          code: 'GW_INVALID_IDENTIFIER',
        });
        const now = Math.floor(Date.now() / 1000);
        const sso = await new SignJWT({ sub: id, aud: 'default', iat: now, exp: now + 60 })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode(SECRET));
        expect(
          await errorOf(await post(gw.url, '/v1/sessions/sso', undefined, { token: sso })),
        ).toMatchObject({
          status: 400,
          code: 'GW_INVALID_IDENTIFIER',
        });
        expect(
          await errorOf(await post(gw.url, '/v1/sessions/visitor', undefined, { app: id })),
        ).toMatchObject({ status: 400, code: 'GW_INVALID_IDENTIFIER' });

        const t = await token(gw.url, 'someone');
        const path = pathSegment(id);
        for (const r of [
          await post(gw.url, '/v1/chat', t, { message: 'hi', conversation_id: id }),
          await post(gw.url, '/v1/chat/stream', t, { message: 'hi', conversation_id: id }),
        ]) {
          expect(await errorOf(r)).toMatchObject({ status: 400, code: 'GW_INVALID_IDENTIFIER' });
        }
        for (const r of [
          await get(gw.url, `/v1/conversations/${path}/messages`, t),
          await get(gw.url, `/v1/turns/${path}/events`, t),
        ]) {
          // A lone surrogate in a path is malformed UTF-8: fastify's router refuses the URL itself.
          if (what.includes('surrogate')) expect(r.status).toBe(400);
          else expect(await errorOf(r)).toMatchObject({ status: 400, code: 'GW_INVALID_IDENTIFIER' });
        }
        if (!what.includes('surrogate')) {
          expect(await errorOf(await get(gw.url, `/v1/meta?app=${path}`))).toMatchObject({
            status: 400,
            code: 'GW_INVALID_IDENTIFIER',
          });
        }
        expect(chats()).toBe(before);
      });
    }

    it('refuses an Idempotency-Key with a control character (headers cannot carry a newline)', async () => {
      const t = await token(gw.url, 'keys');
      const r = await post(
        gw.url,
        '/v1/chat',
        t,
        { message: 'hi' },
        { headers: { 'idempotency-key': 'a\tb' } },
      );
      expect(await errorOf(r)).toMatchObject({ status: 400, code: 'GW_INVALID_IDENTIFIER' });
    });

    it('never reports bad input as a ledger outage: NUL in a path id or conversation_id is a 400', async () => {
      const t = await token(gw.url, 'nul');
      const metrics = async () =>
        (await (await fetch(`${gw.url}/metrics`)).text()).match(/GW_LEDGER_UNAVAILABLE"} (\d+)/)?.[1];
      const outagesBefore = await metrics();
      for (const r of [
        await get(gw.url, '/v1/conversations/cv%00x/messages', t),
        await get(gw.url, '/v1/turns/tn%00x/events', t),
        await post(gw.url, '/v1/chat', t, { message: 'hi', conversation_id: 'cv\u0000x' }),
      ]) {
        expect(await errorOf(r)).toMatchObject({ status: 400, code: 'GW_INVALID_IDENTIFIER' });
      }
      expect(await metrics()).toBe(outagesBefore);
    });
  });
}
