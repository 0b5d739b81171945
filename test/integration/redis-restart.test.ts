import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, get, post, readSse, until, visitor } from '../helpers/client.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startRedisServer } from '../helpers/redis.js';
import { selected } from '../helpers/selection.js';

// A gateway on its own redis-server, which the test stops during traffic and starts again.
describe.runIf(selected('STORES', 'redis'))('Redis lost and back while serving', () => {
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  let gw: TestGateway;

  beforeAll(async () => {
    redis = await startRedisServer();
    gw = await startTestGateway({ REDIS_URL: redis.url, SIMULATOR_DELTA_DELAY_MS: '20' });
  });
  afterAll(async () => {
    await gw?.stop();
    await redis?.stop();
  });

  const errorOf = async (r: Response) => ({
    status: r.status,
    code: ((await r.json()) as { error: { code: string } }).error.code,
  });

  it('answers coded errors while Redis is down, serves normally after, and leaves nothing half-written', async () => {
    const before = await visitor(gw.url);
    expect((await chat(gw.url, before, 'before')).status).toBe(200);

    // An answer in flight when Redis goes away still finishes and is recorded.
    const inflight = await post(gw.url, '/v1/chat/stream', before, { message: '#long 30' });
    let stopped: Promise<void> | undefined;
    const events = readSse(inflight, (e) => {
      if (e.event === 'delta' && !stopped) stopped = redis.stop();
    });

    await until(() => stopped !== undefined);
    await stopped;
    expect(await errorOf(await post(gw.url, '/v1/chat', before, { message: 'during' }))).toEqual({
      status: 503,
      code: 'GW_STORE_UNAVAILABLE',
    });
    expect(await errorOf(await fetch(`${gw.url}/v1/sessions/visitor`, { method: 'POST' }))).toEqual({
      status: 503,
      code: 'GW_STORE_UNAVAILABLE',
    });
    const notReady = await get(gw.url, '/ready');
    expect(notReady.status).toBe(503);
    expect((await notReady.json()).checks.store).toBe('GW_STORE_UNAVAILABLE');
    expect((await events).at(-1)!.event).toBe('done');

    await redis.start();
    // The gateway reconnects by itself. This redis-server keeps nothing on disk, so sessions made
    // before are gone: a new visitor session works, and so does chatting.
    await until(async () => ((await get(gw.url, '/ready')).status === 200 ? true : undefined), 15_000);
    const after = await visitor(gw.url);
    const r = await chat(gw.url, after, 'after');
    expect(r.status).toBe(200);
    expect(r.body.answer).toBe('You said: after');

    const db = new Database(gw.dbPath, { readonly: true });
    const rows = db.prepare('select question, status, answer from turns').all() as {
      question: string;
      status: string;
      answer: string | null;
    }[];
    db.close();
    expect(rows.map((t) => t.question).sort()).toEqual(['#long 30', 'after', 'before']);
    for (const t of rows) {
      expect(t.status).toBe('completed');
      expect(t.answer).not.toBeNull();
    }
  });
});
