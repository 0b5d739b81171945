// Attacks on resumable streams (issue 12, finding 4): a resume from the end of a finished turn must
// end at once, not hold a connection for ever; and no user or address may hold open streams
// without limit (chat streams and resumes are one resource).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, readSse, type SseEvent, until, visitor } from '../helpers/client.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { selected } from '../helpers/selection.js';

/**
 * A resume that has not ended by then never would (the old code sent heartbeats for ever). It
 * ends at once; the margin is for a loaded machine.
 */
const ENDS_WITHIN_MS = 20_000;

function resume(base: string, token: string, turnId: string, lastId: number | string, signal?: AbortSignal) {
  return fetch(`${base}/v1/turns/${turnId}/events`, {
    headers: { authorization: `Bearer ${token}`, 'last-event-id': String(lastId) },
    signal: signal ?? AbortSignal.timeout(ENDS_WITHIN_MS),
  });
}

/** The whole resume: status, and every event until the server ended the stream. */
async function resumeAll(base: string, token: string, turnId: string, lastId: number | string) {
  const res = await resume(base, token, turnId, lastId);
  expect(res.status).toBe(200);
  return readSse(res);
}

async function finishedTurn(base: string, token: string, message = 'hello there') {
  const events = await readSse(await post(base, '/v1/chat/stream', token, { message }));
  expect(events.at(-1)?.event).toBe('done');
  return { events, turnId: (events[0].data as { turn_id: string }).turn_id, last: Number(events.at(-1)!.id) };
}

describe('a resume from the end of a finished turn ends at once (this instance)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    // Room for the hundred resumes below at once (the cap has its own tests).
    gw = await startTestGateway({ MAX_STREAMS_PER_USER: '100' });
  });
  afterAll(() => gw?.stop());

  it('Last-Event-ID at or beyond the ending: an empty stream that ends; before it: the rest', async () => {
    const token = await visitor(gw.url);
    const { events, turnId, last } = await finishedTurn(gw.url, token);
    // The client saw the ending: nothing more, and the stream is over.
    expect(await resumeAll(gw.url, token, turnId, last)).toEqual([]);
    expect(await resumeAll(gw.url, token, turnId, last + 1000)).toEqual([]);
    expect(await resumeAll(gw.url, token, turnId, Number.MAX_SAFE_INTEGER)).toEqual([]);
    // It did not: the ending (and what came before it), as first sent.
    expect(await resumeAll(gw.url, token, turnId, last - 1)).toEqual(events.slice(-1));
    expect(await resumeAll(gw.url, token, turnId, 0)).toEqual(events);
  });

  it('a hundred such resumes at once all end, and hold nothing afterwards', async () => {
    const token = await visitor(gw.url);
    const { turnId, last } = await finishedTurn(gw.url, token);
    const all = await Promise.all(
      Array.from({ length: 100 }, (_, i) => resumeAll(gw.url, token, turnId, last + i)),
    );
    expect(all.flat()).toEqual([]);
    // The places they held are free again: one more stream of this user is served.
    expect((await resumeAll(gw.url, token, turnId, last - 1)).map((e) => e.event)).toEqual(['done']);
  }, 60_000);
});

describe('a resume of a turn whose events are gone ends at once with its recorded ending', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ RESUME_MEMORY_TURNS: '0' });
  });
  afterAll(() => gw?.stop());

  it('the ledger keeps no event ids: the ending comes numbered after Last-Event-ID, then the end', async () => {
    const token = await visitor(gw.url);
    const { events, turnId, last } = await finishedTurn(gw.url, token);
    const { answer, status } = events.at(-1)!.data as { answer: string; status: string };
    const again = await resumeAll(gw.url, token, turnId, last);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ id: String(last + 1), event: 'done', data: { status, answer } });
  });
});

describe.runIf(selected('STORES', 'redis'))('a resume of a turn finished on another instance (Redis)', () => {
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    // Two instances sharing one ledger (an SQLite file) and one Redis, as behind a load balancer.
    const shared = {
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `cg-sec-resume-${randomBytes(4).toString('hex')}:`,
    };
    a = await startTestGateway(shared);
    b = await startTestGateway({ ...shared, DATABASE_URL: `sqlite:${a.dbPath}` });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('from its Redis stream: nothing after the ending, the rest before it, and the end at once', async () => {
    const token = await visitor(a.url);
    const { events, turnId, last } = await finishedTurn(a.url, token, '#long 6');
    expect(await resumeAll(b.url, token, turnId, last)).toEqual([]);
    expect(await resumeAll(b.url, token, turnId, last + 50)).toEqual([]);
    expect(await resumeAll(b.url, token, turnId, last - 2)).toEqual(events.slice(-2));
  });
});

describe('open streams are capped per user and per address', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ MAX_STREAMS_PER_USER: '3', MAX_STREAMS_PER_ADDRESS: '5' });
  });
  afterAll(() => gw?.stop());

  /** A stream held open: its response (status known), its first event, and the way to drop it. */
  async function hold(open: (signal: AbortSignal) => Promise<Response>) {
    const ac = new AbortController();
    const res = await open(ac.signal);
    let first: Promise<SseEvent | undefined> = Promise.resolve(undefined);
    if (res.status === 200) {
      // Read it as a browser would, until dropped.
      first = new Promise((resolve) => {
        void readSse(res, resolve)
          .catch(() => {})
          .finally(() => resolve(undefined));
      });
    }
    return { res, first, drop: () => ac.abort() };
  }
  /** A chat stream of a long, slow answer (200 pieces, 200 ms apart), held open. */
  const slowChat = (token: string) =>
    hold((signal) => post(gw.url, '/v1/chat/stream', token, { message: '#slow #long 200' }, { signal }));
  async function refusal(res: Response) {
    expect(res.status).toBe(429);
    return ((await res.json()) as { error: { code: string; limit: string } }).error;
  }

  it('one user: chat streams and resumes count together; over the cap 429, until one closes', async () => {
    const token = await visitor(gw.url);
    const chats = () => gw.simulator!.stats().chats;
    const chat = await slowChat(token);
    expect(chat.res.status).toBe(200);
    const first = await chat.first;
    expect(first?.event).toBe('turn');
    const turnId = (first!.data as { turn_id: string }).turn_id;
    const resumes = [
      await hold((s) => resume(gw.url, token, turnId, 1, s)),
      await hold((s) => resume(gw.url, token, turnId, 1, s)),
    ];
    for (const r of resumes) expect(r.res.status).toBe(200);

    // A fourth stream of the same user is refused, resume or chat, and no turn is started.
    const before = chats();
    expect(await refusal(await resume(gw.url, token, turnId, 1))).toMatchObject({
      code: 'GW_TOO_MANY_STREAMS',
      limit: 'user',
    });
    const refusedChat = await post(gw.url, '/v1/chat/stream', token, { message: 'one more' });
    expect(await refusal(refusedChat)).toMatchObject({ code: 'GW_TOO_MANY_STREAMS', limit: 'user' });
    expect(chats()).toBe(before);

    // Another user on the same address is not this user's limit.
    const other = await slowChat(await visitor(gw.url));
    expect(other.res.status).toBe(200);

    // A dropped stream gives its place back.
    resumes[0].drop();
    const again = await until(async () => {
      const r = await hold((s) => resume(gw.url, token, turnId, 1, s));
      if (r.res.status === 200) return r;
      await r.res.body?.cancel();
      return undefined;
    });
    for (const s of [chat, resumes[1], other, again]) s.drop();
  });

  it('one address: many users together hold at most MAX_STREAMS_PER_ADDRESS', async () => {
    // Wait until the streams of the test above are gone.
    const held = await until(async () => {
      const tries = [];
      for (let i = 0; i < 5; i++) tries.push(await slowChat(await visitor(gw.url)));
      if (tries.every((t) => t.res.status === 200)) return tries;
      for (const t of tries) t.drop();
      return undefined;
    });
    const sixth = await post(gw.url, '/v1/chat/stream', await visitor(gw.url), { message: 'hi' });
    expect(await refusal(sixth)).toMatchObject({ code: 'GW_TOO_MANY_STREAMS', limit: 'ip' });
    for (const h of held) h.drop();
  });
});
