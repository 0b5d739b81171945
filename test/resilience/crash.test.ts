import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BOT_ID, type Simulator, startSimulator } from '../../src/simulator/index.js';
import { post, readSse, type SseEvent, signedSession, until } from '../helpers/client.js';
import { startGatewayProcess } from '../helpers/processes.js';

const SECRET = 'crash-test-secret-0123456789';
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
const expected = (n: number) => Array.from({ length: n }, (_, i) => WORDS[i % WORDS.length]).join(' ');

// The simulator runs in the test process, so Coze outlives the gateway that is killed.
describe('kill -9 during 20 concurrent streams', () => {
  let sim: Simulator;
  const dir = mkdtempSync(join(tmpdir(), 'cg-crash-'));
  const db = join(dir, 'ledger.db');
  let env: Record<string, string>;

  beforeAll(async () => {
    sim = await startSimulator({ pats: ['pat_crash'], deltaDelayMs: 25 });
    env = {
      COZE_BASE_URL: sim.url,
      COZE_PAT: 'pat_crash',
      COZE_BOT_ID: DEFAULT_BOT_ID,
      DATABASE_URL: `sqlite:${db}`,
      GATEWAY_SECRET: SECRET,
      LOG_LEVEL: 'info',
      RECOVERY_INTERVAL_MS: '300',
      // One user holds all 20 streams (the default cap is 10 a user).
      MAX_STREAMS_PER_USER: '20',
    };
  });
  afterAll(() => sim?.close());

  async function sessionFor(base: string, user: string): Promise<string> {
    const body = JSON.stringify({ user: { id: user }, nonce: crypto.randomUUID() });
    const r = await signedSession(base, SECRET, body);
    return ((await r.json()) as { token: string }).token;
  }

  it('every turn ends with its full answer, in the ledger and through resume: none lost, none duplicated', async () => {
    const first = await startGatewayProcess(env);
    const token = await sessionFor(first.url, 'crash-user');
    // The kill waits until every stream is under way; no answer may end before that, so each runs
    // ~2.7 s (~110 deltas, 25 ms apart): eight times the spread of their starts measured at load 30
    // on 2 cores (0.3 s), where 40 words (1.5 s) left a loaded machine little room.
    const lengths = Array.from({ length: 20 }, (_, i) => 70 + i);
    const seen = new Map<number, SseEvent[]>();
    let started = 0;
    let killed = false;
    const streams = lengths.map(async (n, i) => {
      const got: SseEvent[] = [];
      seen.set(i, got);
      const res = await post(first.url, '/v1/chat/stream', token, { message: `#long ${n}` });
      await readSse(res, (e) => {
        got.push(e);
        if (e.event === 'delta' && got.filter((x) => x.event === 'delta').length === 3) started++;
        // Once every stream is under way, the process dies without warning.
        if (started === 20 && !killed) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      }).catch(() => {});
    });
    await Promise.all(streams);
    await first.exited;
    expect(killed).toBe(true);
    for (const got of seen.values())
      expect(got.some((e) => e.event === 'done' || e.event === 'error')).toBe(false);

    // A new gateway on the same database recovers the turns from Coze.
    const second = await startGatewayProcess(env);
    try {
      const rows = await until(() => {
        const d = new Database(db, { readonly: true });
        const r = d.prepare('select id, question, status, answer from turns').all() as {
          id: string;
          question: string;
          status: string;
          answer: string;
        }[];
        d.close();
        return r.length === 20 && r.every((t) => t.status !== 'pending') ? r : undefined;
      }, 30_000);
      for (const t of rows) {
        expect(t.status).toBe('completed');
        expect(t.answer).toBe(expected(Number(t.question.split(' ')[1])));
      }

      // The same user, vouched for again by the host, resumes each stream where it broke off.
      const again = await sessionFor(second.url, 'crash-user');
      for (const [i, got] of seen) {
        const turnId = (got[0].data as { turn_id: string }).turn_id;
        const res = await fetch(`${second.url}/v1/turns/${turnId}/events`, {
          headers: { authorization: `Bearer ${again}`, 'last-event-id': String(got.at(-1)!.id) },
        });
        const rest = await readSse(res);
        expect(rest.map((e) => e.event)).toEqual(['done']);
        expect((rest[0].data as { answer: string }).answer).toBe(expected(lengths[i]));
      }
    } finally {
      await second.stop();
    }
  }, 90_000);
});
