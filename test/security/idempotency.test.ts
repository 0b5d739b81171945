// Issue 12, finding 3: an Idempotency-Key belongs to one user of one app. The Store key used to
// be `idem:<app>:<principal>:<key>`, so user `dana:order` sending key `42` got user `dana`'s
// turn for key `order:42`, answer included. Run on every selected Store (STORES=memory,redis).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, signedSession } from '../helpers/client.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { selection } from '../helpers/selection.js';

const SECRET = 'idem-secret-0123456789abcdef';

describe.each(selection('STORES'))('Idempotency-Key on the %s store', (store) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      GATEWAY_SECRET: SECRET,
      ...(store === 'redis' && {
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        REDIS_KEY_PREFIX: `cg-idem-${randomBytes(4).toString('hex')}:`,
      }),
    });
  });
  afterAll(() => gw?.stop());

  async function user(id: string): Promise<string> {
    const r = await signedSession(gw.url, SECRET, JSON.stringify({ user: { id } }));
    expect(r.status).toBe(201);
    return ((await r.json()) as { token: string }).token;
  }

  const send = async (token: string, message: string, key: string) => {
    const r = await post(gw.url, '/v1/chat', token, { message }, { headers: { 'idempotency-key': key } });
    return { status: r.status, body: (await r.json()) as { turn_id: string; answer: string } };
  };

  it("a key that joins to another user's key never returns that user's turn or answer", async () => {
    const dana = await user('dana');
    const mallory = await user('dana:order');
    const first = await send(dana, 'my card ends in 4242', 'order:42');
    expect(first.status).toBe(200);
    expect(first.body.answer).toBe('You said: my card ends in 4242');

    const chatsBefore = gw.simulator!.stats().chats;
    const other = await send(mallory, 'hello', '42');
    expect(other.status).toBe(200);
    expect(other.body.turn_id).not.toBe(first.body.turn_id);
    expect(other.body.answer).toBe('You said: hello');
    expect(gw.simulator!.stats().chats - chatsBefore).toBe(1); // a turn of its own, asked of Coze

    // The key still replays for its owner.
    const again = await send(dana, 'my card ends in 4242', 'order:42');
    expect(again.body.turn_id).toBe(first.body.turn_id);
  });
});
