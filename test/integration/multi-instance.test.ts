import { generateKeyPairSync, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BOT_ID, type Simulator, startSimulator } from '../../src/simulator/index.js';
import { chat, deltas, post, readSse } from '../helpers/client.js';
import { createTestDatabase } from '../helpers/databases.js';
import { type Nginx, startNginx } from '../helpers/nginx.js';
import { type GatewayProcess, startGatewayProcess } from '../helpers/processes.js';
import { selected } from '../helpers/selection.js';

// Two gateway processes behind a load balancer share one PostgreSQL and one Redis. The upstream is
// the simulator, reached with the production OAuth JWT path, so token exchanges can be counted.
const run = selected('DIALECTS', 'postgres') && selected('STORES', 'redis');

describe.runIf(run)('two instances on PostgreSQL and Redis', () => {
  let sim: Simulator;
  let db: { url: string; drop(): Promise<void> };
  let a: GatewayProcess;
  let b: GatewayProcess;
  let nginx: Nginx | undefined;

  beforeAll(async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const app = { clientId: '1100000000042', keyId: 'it-key' };
    sim = await startSimulator({
      oauthApps: [{ ...app, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }],
      deltaDelayMs: 3,
    });
    db = await createTestDatabase('postgres');
    const env = {
      COZE_BASE_URL: sim.url,
      COZE_CLIENT_ID: app.clientId,
      COZE_KEY_ID: app.keyId,
      COZE_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      COZE_BOT_ID: DEFAULT_BOT_ID,
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `cg-it-${randomBytes(4).toString('hex')}:`,
      LOG_LEVEL: 'info',
      TURN_LOCK_WAIT_MS: '20000',
      // One test user resumes one turn 200 times at once (the caps have tests of their own).
      MAX_STREAMS_PER_USER: '1000',
      MAX_STREAMS_PER_ADDRESS: '1000',
    };
    // Start one after the other: both run migrations; the second finds them done.
    a = await startGatewayProcess(env);
    b = await startGatewayProcess(env);
  }, 60_000);

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
    await sim?.close();
    await db?.drop();
  });

  async function visitorOn(base: string) {
    const r = await fetch(`${base}/v1/sessions/visitor`, { method: 'POST' });
    const s = (await r.json()) as { token: string; user_id: string };
    return { ...s, sessionName: `default:v:${s.user_id}` };
  }

  it('serves interleaved traffic of many users: one token exchange each, no 4016, every turn recorded', async () => {
    const users = 12;
    const turnsPerUser = 6;
    const instances = [a.url, b.url];
    const sent: { token: string; message: string; answer: string; status: number }[] = [];

    const sessions = await Promise.all(Array.from({ length: users }, (_, u) => visitorOn(instances[u % 2])));
    await Promise.all(
      sessions.map(async (s, u) => {
        // The first turn on one instance, the rest on alternating instances, two of them at once.
        const first = await chat(instances[(u + 1) % 2], s.token, `u${u} hello`);
        sent.push({
          token: s.token,
          message: `u${u} hello`,
          answer: first.body.answer,
          status: first.status,
        });
        const cid = first.body.conversation_id;
        const send = async (i: number) => {
          const message = `u${u} turn ${i}`;
          const r = await chat(instances[(u + i) % 2], s.token, message, cid);
          sent.push({ token: s.token, message, answer: r.body.answer, status: r.status });
        };
        await Promise.all([send(1), send(2)]);
        for (let i = 3; i < turnsPerUser; i++) await send(i);
      }),
    );

    expect(sent).toHaveLength(users * turnsPerUser);
    for (const t of sent) {
      expect(t.status).toBe(200);
      expect(t.answer).toBe(`You said: ${t.message}`);
    }
    const stats = sim.stats();
    for (const s of sessions) expect(stats.tokenExchangesBySession[s.sessionName]).toBe(1);
    expect(stats.busy4016).toBe(0);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const rows = (await client.query('select question, answer, status from turns')).rows as {
        question: string;
        answer: string;
        status: string;
      }[];
      expect(rows).toHaveLength(users * turnsPerUser);
      for (const r of rows) {
        expect(r.status).toBe('completed');
        expect(r.answer).toBe(`You said: ${r.question}`);
      }
    } finally {
      await client.end();
    }
  });

  it('a stream started on one instance is resumed on the other with Last-Event-ID, every delta once', async () => {
    sim.setFaults({ deltaDelayMs: 20 });
    try {
      const s = await visitorOn(a.url);
      const ac = new AbortController();
      const res = await post(
        a.url,
        '/v1/chat/stream',
        s.token,
        { message: '#long 40' },
        { signal: ac.signal },
      );
      const before: { id?: string; event: string; data: unknown }[] = [];
      await readSse(res, (e) => {
        before.push(e);
        if (before.length === 5) ac.abort();
      }).catch(() => {});
      const turnId = (before[0].data as { turn_id: string }).turn_id;
      const rest = await readSse(
        await fetch(`${b.url}/v1/turns/${turnId}/events`, {
          headers: { authorization: `Bearer ${s.token}`, 'last-event-id': String(before.at(-1)!.id) },
        }),
      );
      const all = [...before, ...rest];
      expect(all.map((e) => Number(e.id))).toEqual(all.map((_, i) => i + 1));
      const done = all.at(-1)!;
      expect(done.event).toBe('done');
      expect(deltas(all)).toBe((done.data as { answer: string }).answer);
    } finally {
      sim.resetFaults();
    }
  });

  it('200 resumes on one instance of a turn running on the other follow it to its end; one after the end ends at once', async () => {
    sim.setFaults({ deltaDelayMs: 20 });
    try {
      const s = await visitorOn(a.url);
      const ac = new AbortController();
      const res = await post(
        a.url,
        '/v1/chat/stream',
        s.token,
        { message: '#long 150' },
        { signal: ac.signal },
      );
      let turnId = '';
      await readSse(res, (e) => {
        turnId = (e.data as { turn_id: string }).turn_id;
        ac.abort();
      }).catch(() => {});
      const open = () =>
        fetch(`${b.url}/v1/turns/${turnId}/events`, {
          headers: { authorization: `Bearer ${s.token}`, 'last-event-id': '1' },
          signal: AbortSignal.timeout(60_000),
        });
      // Opened 50 at a time (each reads the ledger once, to check the turn is the caller's), then
      // all followed at once.
      const opened: Response[] = [];
      while (opened.length < 200) opened.push(...(await Promise.all(Array.from({ length: 50 }, open))));
      for (const r of opened) expect(r.status).toBe(200);
      const all = await Promise.all(opened.map((r) => readSse(r)));
      const first = all[0];
      const done = first.at(-1)!;
      expect(done.event).toBe('done');
      expect(first.map((e) => Number(e.id))).toEqual(first.map((_, i) => i + 2));
      expect(deltas(first)).toBe((done.data as { answer: string }).answer);
      for (const events of all) expect(events).toEqual(first);
      // From B, after the end: nothing more, and the stream ends (it used to wait 2 s, then repeat
      // the ending).
      const after = await fetch(`${b.url}/v1/turns/${turnId}/events`, {
        headers: { authorization: `Bearer ${s.token}`, 'last-event-id': String(done.id) },
        signal: AbortSignal.timeout(10_000),
      });
      expect(await readSse(after)).toEqual([]);
    } finally {
      sim.resetFaults();
    }
  }, 90_000);

  it('through nginx configured as the README says, streams arrive as they are produced', async () => {
    nginx = await startNginx([a.url, b.url]);
    sim.setFaults({ deltaDelayMs: 40 });
    try {
      const s = await visitorOn(nginx.url);
      const res = await post(nginx.url, '/v1/chat/stream', s.token, { message: '#long 20' });
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      // Count how many separate reads the answer took: a buffering proxy delivers it in one lump.
      const arrivals: number[] = [];
      const reader = res.clone().body!.getReader();
      const events = readSse(res);
      for (;;) {
        const { done } = await reader.read();
        if (done) break;
        arrivals.push(Date.now());
      }
      const all = await events;
      const done = all.at(-1)!;
      expect(done.event).toBe('done');
      const answer = (done.data as { answer: string }).answer;
      expect(answer.split(' ')).toHaveLength(20);
      expect(deltas(all)).toBe(answer);
      expect(arrivals.length).toBeGreaterThanOrEqual(10);
      // Later events came later: the stream spread over the answer's production time.
      expect(arrivals.at(-1)! - arrivals[0]).toBeGreaterThan(20 * 40 * 0.5);
    } finally {
      sim.resetFaults();
    }
  });
});
