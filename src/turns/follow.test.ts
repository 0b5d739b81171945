// Following a turn: where each follower ends (issue 12, finding 4), and what followers of a turn
// running elsewhere cost the ledger (finding 7). A real SQLite ledger, and a real Redis when
// STORES names it.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../test/helpers/client.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/databases.js';
import { selected } from '../../test/helpers/selection.js';
import { loadConfig } from '../config/index.js';
import { newId } from '../ids.js';
import { type Ledger, openLedger } from '../ledger/index.js';
import { createLogger } from '../observability/index.js';
import { RedisEventStreams } from '../state/index.js';
import { type NumberedEvent, type TurnEvent, TurnEventLog } from './events.js';
import { type FollowSources, followTurn, ledgerWatch, streamKey } from './follow.js';

const logger = createLogger('silent');
let database: TestDatabase;
let ledger: Ledger;

beforeAll(async () => {
  database = await createTestDatabase('sqlite');
  ledger = await openLedger(loadConfig({ DATABASE_URL: database.url }).database);
});
afterAll(async () => {
  await ledger?.close();
  await database?.drop();
});

/** A turn in the ledger, pending (as while it runs on some instance). */
async function pendingTurn(): Promise<string> {
  const conversation = await ledger.createConversation({
    id: newId('cv'),
    appId: 'default',
    userId: 'v:someone',
    cozeConversationId: newId('cz'),
    cozeUser: 'default:v:someone',
    createdAt: Date.now(),
  });
  const id = newId('tn');
  await ledger.startTurn({
    id,
    appId: 'default',
    conversationId: conversation.id,
    userId: 'v:someone',
    question: 'hello?',
  });
  return id;
}

const finish = (turnId: string, answer = 'It is 42.') =>
  ledger.finishTurn(turnId, { status: 'completed', answer, latencyMs: 10 });

/** One follower's view: the events it was given, and whether (how often) it was ended. */
async function follower(src: FollowSources, turnId: string, afterId: number) {
  const got: NumberedEvent[] = [];
  const seen = { events: got, ends: 0, stop: () => {} };
  seen.stop = await followTurn(
    src,
    turnId,
    afterId,
    (e) => got.push(e),
    () => seen.ends++,
  );
  return seen;
}

const turnEvents = (turnId: string): TurnEvent[] => [
  { event: 'turn', data: { turn_id: turnId, conversation_id: 'cv_x' } },
  { event: 'delta', data: { text: 'It is ' } },
  { event: 'delta', data: { text: '42.' } },
  {
    event: 'done',
    data: {
      turn_id: turnId,
      conversation_id: 'cv_x',
      status: 'completed',
      answer: 'It is 42.',
      usage: null,
      suggestions: [],
    },
  },
];

describe('following a turn of this instance', () => {
  const sourcesWith = (log: TurnEventLog): FollowSources => ({ ledger, logger, local: () => log });

  it('ends at once, with nothing, when the client has seen the ending or names an id beyond it', async () => {
    const log = new TurnEventLog();
    for (const e of turnEvents('tn_a')) log.push(e);
    for (const afterId of [4, 5, 1_000_000]) {
      const f = await follower(sourcesWith(log), 'tn_a', afterId);
      expect(f).toMatchObject({ events: [], ends: 1 });
    }
    const rest = await follower(sourcesWith(log), 'tn_a', 2);
    expect(rest.events.map((e) => [e.id, e.event])).toEqual([
      [3, 'delta'],
      [4, 'done'],
    ]);
    expect(rest.ends).toBe(1);
  });

  it('a follower ahead of a running turn sees only what is above its id, and ends with the turn', async () => {
    const log = new TurnEventLog();
    const events = turnEvents('tn_b');
    log.push(events[0]);
    const ahead = await follower(sourcesWith(log), 'tn_b', 3);
    const behind = await follower(sourcesWith(log), 'tn_b', 1);
    for (const e of events.slice(1)) log.push(e);
    expect(ahead).toMatchObject({ ends: 1 });
    expect(ahead.events.map((e) => e.id)).toEqual([4]);
    expect(behind.events.map((e) => e.id)).toEqual([2, 3, 4]);
    expect(behind.ends).toBe(1);
  });
});

describe('followers of a turn no live source will end read the ledger once per turn, not once each', () => {
  it('200 followers share each read; all get the recorded ending; the reads stop with them', async () => {
    let reads = 0;
    // The same ledger, its reads of turns counted (each is a database transaction).
    const counted = new Proxy(ledger, {
      get(target, prop, receiver) {
        if (prop === 'getTurn')
          return (id: string) => {
            reads++;
            return target.getTurn(id);
          };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const src: FollowSources = { ledger: counted, logger, local: () => undefined, pollMs: 10, maxPollMs: 50 };
    const turnId = await pendingTurn();
    const followers = await Promise.all(Array.from({ length: 200 }, (_, i) => follower(src, turnId, i % 7)));
    // A few rounds of reads go by while the turn is pending: each round is one read for all.
    await expect.poll(() => reads).toBeGreaterThanOrEqual(3);
    // A read per follower (the old code, every 10 ms) would be 200 reads at once.
    expect(reads).toBeLessThan(20);
    await finish(turnId);
    await expect.poll(() => followers.every((f) => f.events.length === 1)).toBe(true);
    expect(reads).toBeLessThan(40);
    expect(followers.every((f) => f.ends === 1)).toBe(true);
    for (const [i, f] of followers.entries()) {
      expect(f.events).toHaveLength(1);
      expect(f.events[0]).toMatchObject({ id: (i % 7) + 1, event: 'done', data: { answer: 'It is 42.' } });
    }
    expect(ledgerWatch(counted, logger).size).toBe(0);

    // Followers that leave before the end take the watch with them.
    const other = await pendingTurn();
    const leaving = await Promise.all(Array.from({ length: 20 }, () => follower(src, other, 0)));
    expect(ledgerWatch(counted, logger).size).toBe(1);
    for (const f of leaving) f.stop();
    expect(ledgerWatch(counted, logger).size).toBe(0);
    expect(leaving.every((f) => f.ends === 0 && f.events.length === 0)).toBe(true);
  });
});

describe.runIf(selected('STORES', 'redis'))('following a turn of another instance (Redis stream)', () => {
  let streams: RedisEventStreams;
  beforeAll(async () => {
    streams = new RedisEventStreams(
      process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      `cg-follow-test-${randomBytes(4).toString('hex')}:`,
    );
    // It connects in the background and queues nothing meanwhile: wait until it takes a write.
    await until(() =>
      streams.append('probe', 1, '{}').then(
        () => true,
        () => undefined,
      ),
    );
  });
  afterAll(() => streams?.close());

  const src = (): FollowSources => ({ ledger, logger, streams, local: () => undefined, pollMs: 2000 });
  const append = async (turnId: string, events: TurnEvent[], from = 1) => {
    await Promise.all(events.map((e, i) => streams.append(streamKey(turnId), from + i, JSON.stringify(e))));
  };

  it('ends at once, with nothing, after an ending the client has seen; the rest before it', async () => {
    const turnId = await pendingTurn();
    await append(turnId, turnEvents(turnId));
    for (const afterId of [4, 9]) {
      expect(await follower(src(), turnId, afterId)).toMatchObject({ events: [], ends: 1 });
    }
    const rest = await follower(src(), turnId, 2);
    expect(rest.events.map((e) => [e.id, e.event])).toEqual([
      [3, 'delta'],
      [4, 'done'],
    ]);
    expect(rest.ends).toBe(1);
  });

  it('a follower ahead of a running stream ends with it, seeing only what is above its id', async () => {
    const turnId = await pendingTurn();
    const events = turnEvents(turnId);
    await append(turnId, events.slice(0, 1));
    const ahead = await follower(src(), turnId, 3);
    expect(ahead).toMatchObject({ events: [], ends: 0 });
    await append(turnId, events.slice(1), 2);
    await expect.poll(() => ahead.ends).toBe(1);
    expect(ahead.events.map((e) => e.id)).toEqual([4]);
  });
});
