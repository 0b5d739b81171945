import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { createMetrics } from '../observability/index.js';
import { CircuitBreaker } from './breaker.js';
import type { NumberedEvent } from './events.js';
import type { TurnInput } from './input.js';
import { answer, chat, delta, FakeCoze, gate, type Harness, harness, type Step } from './testing.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function setUp(scripts: Array<Step[] | (() => Step[])>, o: Parameters<typeof harness>[1] = {}) {
  const coze = new FakeCoze(scripts);
  h = await harness(coze.client, o);
  return { h, coze };
}

/** Starts a turn and waits for its end: the final event, the ledger row, and whether the lock is free. */
async function turn(h: Harness, input: Partial<TurnInput> = {}) {
  const started = await h.runner.start(h.session, h.app, { message: 'hi', ...input });
  const end = await h.runner.end(started.turnId);
  const row = await h.ledger.getTurn(started.turnId);
  const lock = await h.store.get(`turn-lock:${started.turnId ? started.conversationId : ''}`);
  return { started, end, row: row!, lockFree: lock === undefined };
}

const unreachable = () => {
  throw new GatewayError('GW_UPSTREAM_UNAVAILABLE');
};

describe('how a turn ends (docs/architecture.md "How a turn ends", row by row)', () => {
  it('conversation.chat.completed: completed, with answer, usage and a done event', async () => {
    const { h } = await setUp([answer('Hel', 'lo')]);
    const t = await turn(h);
    expect(t.end.event).toBe('done');
    expect(t.end.data).toMatchObject({ status: 'completed', answer: 'Hello', usage: { total_tokens: 8 } });
    expect(t.row).toMatchObject({
      status: 'completed',
      errorCode: null,
      answer: 'Hello',
      cozeChatId: 'chat_1',
    });
    expect(t.lockFree).toBe(true);
  });

  it.each<[string, Step[]]>([
    [
      'conversation.chat.failed',
      [
        chat('conversation.chat.created'),
        chat('conversation.chat.failed', { last_error: { code: 4000, msg: 'x' } }),
      ],
    ],
    ['an in-stream error', [chat('conversation.chat.created'), { type: 'error', code: 5000, msg: 'oops' }]],
  ])('%s: failed, GW_CHAT_FAILED', async (_, script) => {
    const { h } = await setUp([script]);
    const t = await turn(h);
    expect(t.end.data).toMatchObject({ status: 'failed', code: 'GW_CHAT_FAILED' });
    expect(t.row).toMatchObject({ status: 'failed', errorCode: 'GW_CHAT_FAILED' });
    expect(t.lockFree).toBe(true);
  });

  it('Coze refused before the chat began: failed with the mapped code, no fallback', async () => {
    const { h } = await setUp(
      [
        () => {
          throw new GatewayError('GW_COZE_AUTH');
        },
      ],
      { settings: { fallbackAnswer: 'Call us.' } },
    );
    const t = await turn(h);
    expect(t.end.data).toMatchObject({ status: 'failed', code: 'GW_COZE_AUTH' });
    expect(t.end.data).not.toHaveProperty('fallback');
    expect(t.row).toMatchObject({ status: 'failed', errorCode: 'GW_COZE_AUTH' });
    expect(t.lockFree).toBe(true);
  });

  it('the stream broke after the chat began: interrupted, what arrived kept', async () => {
    const { h } = await setUp([
      [
        chat('conversation.chat.created'),
        delta('Half an'),
        { fail: new GatewayError('GW_UPSTREAM_TRUNCATED') },
      ],
    ]);
    const t = await turn(h);
    expect(t.end.data).toMatchObject({
      status: 'interrupted',
      code: 'GW_UPSTREAM_TRUNCATED',
      answer: 'Half an',
    });
    expect(t.row).toMatchObject({
      status: 'interrupted',
      errorCode: 'GW_UPSTREAM_TRUNCATED',
      answer: 'Half an',
    });
    expect(t.lockFree).toBe(true);
  });

  it('the stream ended cleanly but Coze never said how the chat ended: interrupted, GW_UPSTREAM_TRUNCATED', async () => {
    const { h } = await setUp([[chat('conversation.chat.created'), delta('Half'), { type: 'done' }]]);
    const t = await turn(h);
    expect(t.row).toMatchObject({
      status: 'interrupted',
      errorCode: 'GW_UPSTREAM_TRUNCATED',
      answer: 'Half',
    });
    expect(t.lockFree).toBe(true);
  });

  it('TURN_TIMEOUT_MS passed: interrupted, GW_UPSTREAM_TIMEOUT', async () => {
    const never = gate();
    const { h } = await setUp([[chat('conversation.chat.created'), delta('So'), { wait: never.promise }]], {
      settings: { timeoutMs: 50 },
    });
    const t = await turn(h);
    expect(t.end.data).toMatchObject({ status: 'interrupted', code: 'GW_UPSTREAM_TIMEOUT', answer: 'So' });
    expect(t.row).toMatchObject({ status: 'interrupted', errorCode: 'GW_UPSTREAM_TIMEOUT' });
    expect(t.lockFree).toBe(true);
  });

  it('SIGTERM grace ran out (shutdown): interrupted, GW_INTERRUPTED; the breaker learns nothing', async () => {
    const never = gate();
    const { h } = await setUp([[chat('conversation.chat.created'), { wait: never.promise }]]);
    const started = await h.runner.start(h.session, h.app, { message: 'hi' });
    const [running] = h.runner.active;
    running.stop('shutdown');
    const result = await running.result;
    expect(result).toMatchObject({ status: 'interrupted', error: { code: 'GW_INTERRUPTED' } });
    expect((await h.ledger.getTurn(started.turnId))?.errorCode).toBe('GW_INTERRUPTED');
    expect(await h.store.get(`turn-lock:${started.conversationId}`)).toBeUndefined();
  });

  it('the browser left with CANCEL_ON_DISCONNECT: canceled, GW_CANCELED, and the chat is canceled at Coze', async () => {
    const never = gate();
    const { h, coze } = await setUp([
      [chat('conversation.chat.created'), delta('Wh'), { wait: never.promise }],
    ]);
    const started = await h.runner.start(h.session, h.app, { message: 'hi' });
    await expect.poll(() => h.runner.active[0]?.log.lastId).toBeGreaterThanOrEqual(2);
    h.runner.cancel(started.turnId);
    const end = await h.runner.end(started.turnId);
    expect(end.data).toMatchObject({ status: 'canceled', code: 'GW_CANCELED', answer: 'Wh' });
    expect(coze.canceled).toEqual(['chat_1']);
    expect(await h.store.get(`turn-lock:${started.conversationId}`)).toBeUndefined();
  });

  it('Coze canceled the chat itself: canceled, GW_CANCELED', async () => {
    const { h } = await setUp([[chat('conversation.chat.created'), chat('conversation.chat.canceled')]]);
    const t = await turn(h);
    expect(t.row).toMatchObject({ status: 'canceled', errorCode: 'GW_CANCELED' });
  });

  it('the process died: pending until the next start marks it interrupted', async () => {
    const never = gate();
    const { h } = await setUp([[chat('conversation.chat.created'), { wait: never.promise }]]);
    const started = await h.runner.start(h.session, h.app, { message: 'hi' });
    expect((await h.ledger.getTurn(started.turnId))?.status).toBe('pending');
    // What the next process does at start (cli/gateway.ts), with "older than" 0.
    expect(await h.ledger.interruptStaleTurns(-1)).toBe(1);
    expect(await h.ledger.getTurn(started.turnId)).toMatchObject({
      status: 'interrupted',
      errorCode: 'GW_INTERRUPTED',
    });
  });
});

describe('the turn machine', () => {
  it('running → stopping → ending → ended; only the first stop counts; the result settles once', async () => {
    const hold = gate();
    const { h } = await setUp([[chat('conversation.chat.created'), { wait: hold.promise }]]);
    await h.runner.start(h.session, h.app, { message: 'hi' });
    const [t] = h.runner.active;
    expect(t.state).toBe('running');
    t.stop('canceled');
    t.stop('shutdown');
    expect(t.state).toBe('stopping');
    const result = await t.result;
    expect(t.state).toBe('ended');
    expect(result.status).toBe('canceled');
    t.stop('timeout'); // too late: nothing changes
    expect(t.state).toBe('ended');
    expect(t.ending).toMatchObject({ status: 'canceled' });
    expect(h.runner.active).toEqual([]);
  });
});

describe('idempotency', () => {
  it('a replayed key returns the first turn, and Coze is asked once', async () => {
    const { h, coze } = await setUp([answer('Once')]);
    const first = await turn(h, { idempotencyKey: 'k1' });
    const again = await h.runner.start(h.session, h.app, { message: 'hi', idempotencyKey: 'k1' });
    expect(again).toEqual({
      turnId: first.started.turnId,
      conversationId: first.started.conversationId,
      replayed: true,
    });
    expect((await h.runner.end(again.turnId)).data).toMatchObject({ answer: 'Once' });
    expect(coze.opened).toEqual(['chat']);
  });

  it('a send refused before it began frees its key and the lock; the retry runs', async () => {
    const { h } = await setUp([answer('Now')]);
    await expect(
      h.runner.start(h.session, h.app, { message: 'hi', conversationId: 'cv_nope', idempotencyKey: 'k2' }),
    ).rejects.toMatchObject({ code: 'GW_NOT_FOUND' });
    const t = await turn(h, { idempotencyKey: 'k2' });
    expect(t.started.replayed).toBe(false);
    expect(t.end.data).toMatchObject({ answer: 'Now' });
  });

  it('the question cannot be written: the lock and the key are given back', async () => {
    const { h } = await setUp([answer('First'), answer('Later')]);
    const first = await turn(h);
    const startTurn = h.ledger.startTurn.bind(h.ledger);
    h.ledger.startTurn = async () => {
      throw new GatewayError('GW_LEDGER_UNAVAILABLE');
    };
    const input = { message: 'hi', conversationId: first.started.conversationId, idempotencyKey: 'k3' };
    await expect(h.runner.start(h.session, h.app, input)).rejects.toMatchObject({
      code: 'GW_LEDGER_UNAVAILABLE',
    });
    expect(await h.store.get(`turn-lock:${first.started.conversationId}`)).toBeUndefined();
    h.ledger.startTurn = startTurn;
    const t = await turn(h, input);
    expect(t.end.data).toMatchObject({ answer: 'Later' });
  });

  it('a second turn while one runs in the conversation is refused busy (no lock wait)', async () => {
    const hold = gate();
    const { h } = await setUp([
      [chat('conversation.chat.created'), { wait: hold.promise }, ...answer('a').slice(2)],
    ]);
    const first = await h.runner.start(h.session, h.app, { message: 'one' });
    await expect(
      h.runner.start(h.session, h.app, { message: 'two', conversationId: first.conversationId }),
    ).rejects.toMatchObject({ code: 'GW_CONVERSATION_BUSY' });
    hold.open();
    expect((await h.runner.end(first.turnId)).event).toBe('done');
  });
});

describe('Coze unreachable', () => {
  it('is retried with backoff, then the turn fails with the fallback answer and the breaker counts it', async () => {
    const { h, coze } = await setUp([unreachable, unreachable, unreachable, unreachable], {
      settings: { fallbackAnswer: 'Call us at 400-000-0000.' },
      breaker: new CircuitBreaker(1, 60_000),
    });
    const t = await turn(h);
    expect(coze.opened).toHaveLength(4);
    expect(h.slept).toEqual([100, 200, 400]); // 200·2^n with the injected random 0.5
    expect(t.end.event).toBe('error');
    expect(t.end.data).toMatchObject({
      status: 'failed',
      code: 'GW_UPSTREAM_UNAVAILABLE',
      fallback: 'Call us at 400-000-0000.',
    });
    expect(t.lockFree).toBe(true);
    expect(h.breaker.state).toBe('open');
  });
});

describe('faults that used to go unhandled or unseen', () => {
  it('a follower that throws on the final event is logged; the turn still ends for everyone', async () => {
    const { h } = await setUp([answer('Fine')]);
    const started = await h.runner.start(h.session, h.app, { message: 'hi' });
    await h.runner.follow(started.turnId, 0, (e) => {
      if (e.event === 'done') throw new Error('a broken follower');
    });
    const seen: NumberedEvent[] = [];
    await h.runner.follow(started.turnId, 0, (e) => seen.push(e));
    const result = await h.runner.active[0]?.result;
    expect(result?.status).toBe('completed');
    await expect.poll(() => seen.at(-1)?.event).toBe('done');
    expect(h.logs.find((l) => l.msg === 'a follower of a turn failed on an event')).toMatchObject({
      event: 'done',
    });
    expect(await h.store.get(`turn-lock:${started.conversationId}`)).toBeUndefined();
  });

  it("an exception in the turn's own ending (a metric) is logged; the turn is recorded, unlocked and settled", async () => {
    const metrics = createMetrics();
    metrics.turns.inc = () => {
      throw new Error('metrics broke');
    };
    const { h } = await setUp([answer('Still')], { metrics });
    const started = await h.runner.start(h.session, h.app, { message: 'hi' });
    const [t] = h.runner.active;
    const result = await t.result;
    expect(result.status).toBe('completed');
    expect((await h.runner.end(started.turnId)).data).toMatchObject({ answer: 'Still' });
    expect((await h.ledger.getTurn(started.turnId))?.status).toBe('completed');
    expect(await h.store.get(`turn-lock:${started.conversationId}`)).toBeUndefined();
    expect(h.runner.active).toEqual([]);
    expect(h.logs.find((l) => l.msg === 'a turn failed unexpectedly')).toBeDefined();
  });

  it("Coze's chat id is noted for recovery while the turn runs, retried when the ledger blips", async () => {
    const hold = gate();
    const { h } = await setUp([
      [chat('conversation.chat.created'), { wait: hold.promise }, ...answer('x').slice(2)],
    ]);
    const note = h.ledger.noteCozeChat.bind(h.ledger);
    let failures = 1;
    h.ledger.noteCozeChat = async (...a) => {
      if (failures-- > 0) throw new GatewayError('GW_LEDGER_UNAVAILABLE');
      return note(...a);
    };
    const started = await h.runner.start(h.session, h.app, { message: 'hi' });
    await expect.poll(async () => (await h.ledger.getTurn(started.turnId))?.cozeChatId).toBe('chat_1');
    expect((await h.ledger.getTurn(started.turnId))?.status).toBe('pending');
    hold.open();
    await h.runner.end(started.turnId);
  });

  it('a chat id that cannot be noted at all is logged (recovery could not find the answer)', async () => {
    const hold = gate();
    const { h } = await setUp([
      [chat('conversation.chat.created'), { wait: hold.promise }, ...answer('x').slice(2)],
    ]);
    h.ledger.noteCozeChat = async () => {
      throw new GatewayError('GW_LEDGER_UNAVAILABLE');
    };
    const started = await h.runner.start(h.session, h.app, { message: 'hi' });
    await expect
      .poll(() => h.logs.find((l) => String(l.msg).startsWith('could not note the Coze chat id')))
      .toMatchObject({ turnId: started.turnId, cozeChatId: 'chat_1' });
    hold.open();
    await h.runner.end(started.turnId);
  });
});
