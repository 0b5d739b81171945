import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { chat, chatStream, deltas, get, post, readSse, until, visitor } from '../helpers/client.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

// Faults injected at the simulator (over its test knobs), seen through the gateway.
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

function turnRow(g: TestGateway, turnId: string) {
  const db = new Database(g.dbPath, { readonly: true });
  try {
    return db.prepare('select * from turns where id = ?').get(turnId) as Record<string, unknown>;
  } finally {
    db.close();
  }
}

const untilStatus = (g: TestGateway, turnId: string, status: string) =>
  until(() => {
    const r = turnRow(g, turnId);
    return r.status === status ? r : undefined;
  }, 15_000);

describe('upstream faults', () => {
  it('HTTP 5xx on chat creation is retried and the user is answered', async () => {
    gw = await startTestGateway();
    const token = await visitor(gw.url);
    const warm = await chat(gw.url, token, 'warm up');
    gw.simulator!.setFaults({ http5xxCount: 2, http5xxPath: '/v3/chat', http5xxStatus: 502 });
    const r = await chatStream(gw.url, token, 'through the storm', warm.body.conversation_id);
    expect(r.events.at(-1)!.event).toBe('done');
    expect(deltas(r.events)).toBe('You said: through the storm');
  });

  it('a slow first byte ends the turn with GW_UPSTREAM_TIMEOUT', async () => {
    gw = await startTestGateway({ COZE_FIRST_EVENT_TIMEOUT_MS: '300' });
    const token = await visitor(gw.url);
    const warm = await chat(gw.url, token, 'warm up');
    gw.simulator!.setFaults({ firstEventDelayMs: 3000 });
    const r = await chat(gw.url, token, 'are you there?', warm.body.conversation_id);
    expect(r.body.error?.code).toBe('GW_UPSTREAM_TIMEOUT');
    expect(r.status).toBe(504);
  });

  it('an idle stream times out (interrupted, partial kept), and is then completed from Coze record', async () => {
    gw = await startTestGateway({ COZE_IDLE_TIMEOUT_MS: '300', RECOVERY_INTERVAL_MS: '200' });
    const token = await visitor(gw.url);
    gw.simulator!.setFaults({ deltaDelayMs: 600 });
    const r = await chatStream(gw.url, token, '#long 6');
    const end = r.events.at(-1)!;
    expect(end.event).toBe('error');
    expect(end.data).toMatchObject({ status: 'interrupted', code: 'GW_UPSTREAM_TIMEOUT' });
    const turnId = (r.events[0].data as { turn_id: string }).turn_id;
    expect(turnRow(gw, turnId).answer).toBe(deltas(r.events));
    gw.simulator!.resetFaults();
    // Coze finished the chat anyway; recovery reads its record.
    const row = await untilStatus(gw, turnId, 'completed');
    expect(String(row.answer).split(' ')).toHaveLength(6);
  });

  it('a stream cut mid-answer is recorded interrupted, recovered from Coze, and a resume gets the full answer', async () => {
    gw = await startTestGateway({ RECOVERY_INTERVAL_MS: '200' });
    const token = await visitor(gw.url);
    const r = await chatStream(gw.url, token, '#long 30 #cut');
    const turnId = (r.events[0].data as { turn_id: string }).turn_id;
    expect(r.events.at(-1)!.data).toMatchObject({ status: 'interrupted', code: 'GW_UPSTREAM_TRUNCATED' });
    const row = await untilStatus(gw, turnId, 'completed');
    expect(String(row.answer).split(' ')).toHaveLength(30);
    // A client that comes back for the turn gets the whole answer.
    const again = await readSse(await get(gw.url, `/v1/turns/${turnId}/events`, token));
    const done = again.find((e) => e.event === 'done');
    expect((done?.data as { answer: string } | undefined)?.answer).toBe(row.answer);
  });
});

describe('circuit breaker', () => {
  it('opens after repeated failures (fast, friendly failure with fallback text) and closes when Coze is back', async () => {
    gw = await startTestGateway({
      BREAKER_THRESHOLD: '2',
      BREAKER_COOLDOWN_MS: '300',
      COZE_UNAVAILABLE_MESSAGE: 'Our assistant is taking a break.',
      COZE_FALLBACK_ANSWER: 'Call us at 400-000-0000.',
    });
    const token = await visitor(gw.url);
    const warm = await chat(gw.url, token, 'warm up');
    const cid = warm.body.conversation_id;
    gw.simulator!.setFaults({ http5xxCount: 1000, http5xxStatus: 503 });
    for (let i = 0; i < 2; i++) {
      expect((await chat(gw.url, token, `fail ${i}`, cid)).body.error?.code).toBe('GW_UPSTREAM_UNAVAILABLE');
    }
    const requestsBefore = gw.simulator!.stats().requests;
    const open = await post(gw.url, '/v1/chat', token, { message: 'still down?', conversation_id: cid });
    expect(open.status).toBe(503);
    const body = (await open.json()) as { error: { code: string; message: string; fallback: string } };
    expect(body.error).toEqual({
      code: 'GW_CIRCUIT_OPEN',
      message: 'Our assistant is taking a break.',
      fallback: 'Call us at 400-000-0000.',
    });
    expect(gw.simulator!.stats().requests).toBe(requestsBefore); // failed fast: Coze was not asked

    gw.simulator!.resetFaults();
    const backAt = Date.now();
    const ok = await until(async () => {
      const r = await chat(gw!.url, token, 'back?', cid);
      return r.status === 200 ? r : undefined;
    });
    expect(ok.body.answer).toBe('You said: back?');
    console.log(`circuit: answered again ${Date.now() - backAt} ms after Coze came back (cooldown 300 ms)`);
  });
});
