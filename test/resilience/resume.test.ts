import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post, readSse, type SseEvent, until, visitor } from '../helpers/client.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ SIMULATOR_DELTA_DELAY_MS: '3' });
});
afterAll(() => gw?.stop());

/** Reads events until `stopAfter` of them arrived (then drops the connection) or the stream ends. */
async function readSome(res: Response, stopAfter: number, ac: AbortController): Promise<SseEvent[]> {
  const got: SseEvent[] = [];
  await readSse(res, (e) => {
    got.push(e);
    if (got.length >= stopAfter) ac.abort();
  }).catch(() => {});
  return got;
}

function resume(token: string, turnId: string, lastId: number, signal: AbortSignal) {
  return fetch(`${gw.url}/v1/turns/${turnId}/events`, {
    headers: { authorization: `Bearer ${token}`, 'last-event-id': String(lastId) },
    signal,
  });
}

describe('resumable streams', () => {
  it('a client that drops and reconnects with Last-Event-ID 100 times sees every delta exactly once', async () => {
    const token = await visitor(gw.url);
    let ac = new AbortController();
    const first = await post(
      gw.url,
      '/v1/chat/stream',
      token,
      { message: '#long 500' },
      { signal: ac.signal },
    );
    const seen: SseEvent[] = await readSome(first, 3, ac);
    const turnId = (seen[0].data as { turn_id: string }).turn_id;
    let reconnects = 0;
    while (seen.at(-1)?.event !== 'done') {
      ac = new AbortController();
      const lastId = Number(seen.at(-1)!.id);
      // The first 100 reconnects drop after a few events; then it reads to the end.
      const batch = await readSome(
        await resume(token, turnId, lastId, ac.signal),
        reconnects < 100 ? 3 : 1e9,
        ac,
      );
      seen.push(...batch);
      reconnects++;
    }
    expect(reconnects).toBeGreaterThanOrEqual(100);
    const ids = seen.map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, i) => i + 1)); // no gap, no repeat
    const done = seen.at(-1)!.data as { answer: string };
    const text = seen
      .filter((e) => e.event === 'delta')
      .map((e) => (e.data as { text: string }).text)
      .join('');
    expect(text).toBe(done.answer);
    expect(done.answer.split(' ')).toHaveLength(500);
  });

  it('a finished turn can be read again from any event, and only by its owner', async () => {
    const token = await visitor(gw.url);
    const events = await readSse(await post(gw.url, '/v1/chat/stream', token, { message: 'hello' }));
    const turnId = (events[0].data as { turn_id: string }).turn_id;
    const again = await readSse(await resume(token, turnId, 2, new AbortController().signal));
    expect(again.map((e) => e.id)).toEqual(events.slice(2).map((e) => e.id));
    const stranger = await visitor(gw.url);
    const r = await get(gw.url, `/v1/turns/${turnId}/events`, stranger);
    expect(r.status).toBe(404);
    const bad = await fetch(`${gw.url}/v1/turns/${turnId}/events`, {
      headers: { authorization: `Bearer ${token}`, 'last-event-id': 'abc' },
    });
    expect(bad.status).toBe(400);
  });
});

describe('idempotent sends', () => {
  it('a retried send with the same Idempotency-Key gets the first turn, and Coze is asked once', async () => {
    const token = await visitor(gw.url);
    const headers = { 'idempotency-key': 'msg-0001' };
    const before = gw.simulator!.stats().chats;
    const one = await readSse(
      await post(gw.url, '/v1/chat/stream', token, { message: 'only once' }, { headers }),
    );
    const two = await readSse(
      await post(gw.url, '/v1/chat/stream', token, { message: 'only once' }, { headers }),
    );
    expect(gw.simulator!.stats().chats - before).toBe(1);
    expect(two.map((e) => [e.id, e.event])).toEqual(one.map((e) => [e.id, e.event]));
    const sync = await post(gw.url, '/v1/chat', token, { message: 'only once' }, { headers });
    expect(((await sync.json()) as { turn_id: string }).turn_id).toBe(
      (one[0].data as { turn_id: string }).turn_id,
    );
    // Another key is another turn.
    await readSse(
      await post(
        gw.url,
        '/v1/chat/stream',
        token,
        { message: 'again' },
        { headers: { 'idempotency-key': 'msg-0002' } },
      ),
    );
    expect(gw.simulator!.stats().chats - before).toBe(2);
  });
});

describe('RESUME_MEMORY_TURNS: finished turns kept in memory for resuming', () => {
  let small: TestGateway;
  beforeAll(async () => {
    small = await startTestGateway({ RESUME_MEMORY_TURNS: '2' });
  });
  afterAll(() => small?.stop());

  const resumeFrom = async (token: string, turnId: string, lastId: number) =>
    readSse(
      await fetch(`${small.url}/v1/turns/${turnId}/events`, {
        headers: { authorization: `Bearer ${token}`, 'last-event-id': String(lastId) },
      }),
    );

  it('the newest resume event by event; an older one gets its recorded ending, with the whole answer', async () => {
    const token = await visitor(small.url);
    const turns: SseEvent[][] = [];
    for (const message of ['#long 12', 'second', 'third']) {
      turns.push(await readSse(await post(small.url, '/v1/chat/stream', token, { message })));
    }
    const idOf = (events: SseEvent[]) => (events[0].data as { turn_id: string }).turn_id;

    // The two newest are still in memory: every event after the one named, as first sent.
    for (const events of turns.slice(1)) {
      const again = await resumeFrom(token, idOf(events), 1);
      expect(again.map((e) => [e.id, e.event])).toEqual(events.slice(1).map((e) => [e.id, e.event]));
    }
    // The oldest is not: one `done`, numbered after the event named, carrying the whole answer.
    const [first] = turns;
    const answer = (first.at(-1)!.data as { answer: string }).answer;
    expect(answer.split(' ')).toHaveLength(12);
    const again = await resumeFrom(token, idOf(first), 2);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ id: '3', event: 'done', data: { status: 'completed', answer } });
  });
});

describe('RESUME_RETENTION_MS', () => {
  let brief: TestGateway;
  beforeAll(async () => {
    brief = await startTestGateway({ RESUME_RETENTION_MS: '1000' });
  });
  afterAll(() => brief?.stop());

  it('past the window a finished turn resumes with its recorded ending only', async () => {
    const token = await visitor(brief.url);
    const events = await readSse(await post(brief.url, '/v1/chat/stream', token, { message: '#long 8' }));
    const turnId = (events[0].data as { turn_id: string }).turn_id;
    const resumed = async () =>
      readSse(
        await fetch(`${brief.url}/v1/turns/${turnId}/events`, {
          headers: { authorization: `Bearer ${token}`, 'last-event-id': '1' },
        }),
      );
    // Within the window: every event after the one named.
    expect((await resumed()).map((e) => e.id)).toEqual(events.slice(1).map((e) => e.id));
    const answer = (events.at(-1)!.data as { answer: string }).answer;
    const ending = { event: 'done', data: { status: 'completed', answer } };
    const again = await until(async () => {
      const r = await resumed();
      return r.length === 1 ? r : undefined;
    }, 5000);
    expect(again[0]).toMatchObject({ id: '2', ...ending });
  });
});
