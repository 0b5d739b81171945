import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, chatStream, deltas, get, post, readSse, until, visitor } from '../helpers/client.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.stop());

/** The ledger row of a turn, read straight from the SQLite file. */
function ledgerTurn(turnId: string) {
  const db = new Database(gw.dbPath, { readonly: true });
  try {
    return db.prepare('select * from turns where id = ?').get(turnId) as Record<string, unknown> | undefined;
  } finally {
    db.close();
  }
}

describe('a visitor chats through the gateway', () => {
  it('remembers a name within one visitor conversation and not across visitors', async () => {
    const alice = await visitor(gw.url);
    const first = await chatStream(gw.url, alice, 'my name is Zhang San');
    expect(first.status).toBe(200);
    const turn = first.events[0].data as { conversation_id: string };
    const second = await chatStream(gw.url, alice, 'what is my name?', turn.conversation_id);
    expect(deltas(second.events)).toContain('Zhang San');

    const bob = await visitor(gw.url);
    const other = await chatStream(gw.url, bob, 'what is my name?');
    expect(deltas(other.events)).not.toContain('Zhang San');
  });

  it('streams turn, deltas and done, every event with an id, through headers that stop proxy buffering', async () => {
    const token = await visitor(gw.url);
    const r = await chatStream(gw.url, token, 'hello there');
    expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(r.headers.get('x-accel-buffering')).toBe('no');
    expect(r.headers.get('cache-control')).toContain('no-transform');
    expect(r.headers.get('content-encoding')).toBeNull();
    const names = r.events.map((e) => e.event);
    expect(names[0]).toBe('turn');
    expect(names.at(-1)).toBe('done');
    expect(names.filter((n) => n === 'delta').length).toBeGreaterThan(1);
    expect(r.events.map((e) => Number(e.id))).toEqual(r.events.map((_, i) => i + 1));
    const done = r.events.at(-1)!.data as {
      answer: string;
      usage: { total_tokens: number };
      suggestions: string[];
    };
    expect(done.answer).toBe('You said: hello there');
    expect(deltas(r.events)).toBe(done.answer);
    expect(done.usage.total_tokens).toBeGreaterThan(0);
    expect(done.suggestions.length).toBeGreaterThan(0);
  });

  it('answers sync JSON and records question and answer in the ledger', async () => {
    const token = await visitor(gw.url);
    const r = await chat(gw.url, token, 'sync please');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'completed', answer: 'You said: sync please' });
    const row = ledgerTurn(r.body.turn_id)!;
    expect(row).toMatchObject({
      question: 'sync please',
      answer: 'You said: sync please',
      status: 'completed',
    });
    expect(row.coze_chat_id).toMatch(/^\d+$/);
    expect(row.coze_log_id).toMatch(/^\w{20,}$/);
    expect(Number(row.total_tokens)).toBeGreaterThan(0);
    expect(Number(row.latency_ms)).toBeGreaterThanOrEqual(0);
  });

  it('keeps a conversation of its own per user, never Coze default one', async () => {
    const a = await visitor(gw.url);
    const b = await visitor(gw.url);
    const ra = await chat(gw.url, a, 'one');
    const rb = await chat(gw.url, b, 'two');
    expect(ra.body.conversation_id).not.toBe(rb.body.conversation_id);
    const rowA = ledgerTurn(ra.body.turn_id)!;
    const rowB = ledgerTurn(rb.body.turn_id)!;
    const db = new Database(gw.dbPath, { readonly: true });
    const coze = db
      .prepare('select coze_conversation_id as c from conversations where id in (?, ?)')
      .all(rowA.conversation_id, rowB.conversation_id) as { c: string }[];
    db.close();
    expect(new Set(coze.map((x) => x.c)).size).toBe(2);
  });
});

describe('history', () => {
  it("lists the caller's conversations and messages, and hides everyone else's", async () => {
    const owner = await visitor(gw.url);
    const r1 = await chat(gw.url, owner, 'first question');
    await chat(gw.url, owner, 'second question', r1.body.conversation_id);

    const list = await (await get(gw.url, '/v1/conversations', owner)).json();
    expect(list.conversations).toHaveLength(1);
    expect(list.conversations[0]).toMatchObject({ id: r1.body.conversation_id, title: 'first question' });

    const msgs = await (
      await get(gw.url, `/v1/conversations/${r1.body.conversation_id}/messages`, owner)
    ).json();
    expect(msgs.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ['user', 'first question'],
      ['assistant', 'You said: first question'],
      ['user', 'second question'],
      ['assistant', 'You said: second question'],
    ]);
    expect(msgs.messages[1].status).toBe('completed');

    const stranger = await visitor(gw.url);
    const peek = await get(gw.url, `/v1/conversations/${r1.body.conversation_id}/messages`, stranger);
    expect(peek.status).toBe(404);
    expect((await peek.json()).error.code).toBe('GW_NOT_FOUND');
    const send = await chat(gw.url, stranger, 'let me in', r1.body.conversation_id);
    expect(send.status).toBe(404);
    expect((await (await get(gw.url, '/v1/conversations', stranger)).json()).conversations).toEqual([]);
  });
});

describe('one running turn per conversation', () => {
  it('a second send while one runs waits its turn; Coze never answers 4016 to a user', async () => {
    gw.simulator!.setFaults({ deltaDelayMs: 20 });
    try {
      const token = await visitor(gw.url);
      const first = await chat(gw.url, token, 'start');
      const cid = first.body.conversation_id;
      const before = gw.simulator!.stats().busy4016;
      const results = await Promise.all([1, 2, 3].map((i) => chat(gw.url, token, `parallel ${i}`, cid)));
      for (const r of results) expect(r.status).toBe(200);
      expect(results.map((r) => r.body.answer).sort()).toEqual([
        'You said: parallel 1',
        'You said: parallel 2',
        'You said: parallel 3',
      ]);
      expect(gw.simulator!.stats().busy4016).toBe(before);
    } finally {
      gw.simulator!.resetFaults();
    }
  });

  it('rides out a chat still running at Coze (4016) after a cut stream: the user gets an answer', async () => {
    // A gateway of its own: the next message's 4016s are retried for up to TURN_LOCK_WAIT_MS, so
    // a generous budget, however slowly this machine runs out the cut chat's ~5 s of deltas.
    const own = await startTestGateway({ TURN_LOCK_WAIT_MS: '60000' });
    own.simulator!.setFaults({ deltaDelayMs: 40 });
    try {
      const token = await visitor(own.url);
      const first = await chat(own.url, token, 'hello');
      const cid = first.body.conversation_id;
      // #cut: the stream dies after 2 deltas while Coze goes on writing the answer in the background.
      const cut = await chat(own.url, token, '#long 80 #cut', cid);
      expect(cut.body.status).toBe('interrupted');
      const busyBefore = own.simulator!.stats().busy4016;
      const next = await chat(own.url, token, 'are you there?', cid);
      expect(next.status).toBe(200);
      expect(next.body.answer).toBe('You said: are you there?');
      // Coze did say 4016 to the gateway at least once; the user never saw it.
      expect(own.simulator!.stats().busy4016).toBeGreaterThan(busyBefore);
    } finally {
      await own.stop();
    }
  }, 90_000);
});

describe('an answer cut or failed upstream', () => {
  it('a stream cut mid-answer ends the turn interrupted, with the partial answer kept', async () => {
    const token = await visitor(gw.url);
    const r = await chatStream(gw.url, token, '#long 30 #cut');
    const last = r.events.at(-1)!;
    expect(last.event).toBe('error');
    expect(last.data).toMatchObject({ status: 'interrupted', code: 'GW_UPSTREAM_TRUNCATED' });
    const partial = deltas(r.events);
    expect(partial.length).toBeGreaterThan(0);
    const turnId = (r.events[0].data as { turn_id: string }).turn_id;
    const row = ledgerTurn(turnId)!;
    expect(row.status).toBe('interrupted');
    expect(row.answer).toBe(partial);
    expect(row.error_code).toBe('GW_UPSTREAM_TRUNCATED');
  });

  it('conversation.chat.failed ends the turn failed with a coded error', async () => {
    const token = await visitor(gw.url);
    const r = await chat(gw.url, token, 'please #fail');
    expect(r.status).toBe(502);
    expect(r.body.error?.code).toBe('GW_CHAT_FAILED');
    expect(r.body.status).toBe('failed');
    expect(ledgerTurn(r.body.turn_id)!.status).toBe('failed');
  });

  it('parses the answer when Coze bytes arrive cut at random places, inside characters too', async () => {
    gw.simulator!.setFaults({ chunking: 'random', chunkMinBytes: 1, chunkMaxBytes: 5 });
    try {
      const token = await visitor(gw.url);
      const text = '住在杭州 🚲 — ünïcödé';
      const r = await chatStream(gw.url, token, text);
      expect((r.events.at(-1)!.data as { answer: string }).answer).toBe(`You said: ${text}`);
      expect(deltas(r.events)).toBe(`You said: ${text}`);
    } finally {
      gw.simulator!.resetFaults();
    }
  });
});

describe('a browser that goes away', () => {
  it('does not lose the answer: the turn finishes upstream and is recorded completed', async () => {
    gw.simulator!.setFaults({ deltaDelayMs: 30 });
    try {
      const token = await visitor(gw.url);
      const ac = new AbortController();
      const res = await post(
        gw.url,
        '/v1/chat/stream',
        token,
        { message: '#long 20' },
        { signal: ac.signal },
      );
      let turnId = '';
      await readSse(res, (e) => {
        if (e.event === 'turn') turnId = (e.data as { turn_id: string }).turn_id;
        if (e.event === 'delta') ac.abort();
      }).catch(() => {});
      expect(turnId).not.toBe('');
      const row = await until(() => {
        const t = ledgerTurn(turnId);
        return t && t.status !== 'pending' ? t : undefined;
      });
      expect(row.status).toBe('completed');
      expect(String(row.answer).split(' ')).toHaveLength(20);
    } finally {
      gw.simulator!.resetFaults();
    }
  });
});

describe('CANCEL_ON_DISCONNECT=true', () => {
  it('cancels the chat at Coze when the browser goes away, and records the turn canceled', async () => {
    const g = await startTestGateway({ CANCEL_ON_DISCONNECT: 'true', SIMULATOR_DELTA_DELAY_MS: '30' });
    try {
      const token = await visitor(g.url);
      const ac = new AbortController();
      const res = await post(g.url, '/v1/chat/stream', token, { message: '#long 40' }, { signal: ac.signal });
      let turnId = '';
      await readSse(res, (e) => {
        if (e.event === 'turn') turnId = (e.data as { turn_id: string }).turn_id;
        if (e.event === 'delta') ac.abort();
      }).catch(() => {});
      const db = () => new Database(g.dbPath, { readonly: true });
      const row = await until(() => {
        const d = db();
        const t = d.prepare('select * from turns where id = ?').get(turnId) as
          | Record<string, unknown>
          | undefined;
        d.close();
        return t && t.status !== 'pending' ? t : undefined;
      });
      expect(row.status).toBe('canceled');
      expect(row.error_code).toBe('GW_CANCELED');
      expect(String(row.answer).split(' ').length).toBeLessThan(40);
      // The conversation is free again at once: the next question is answered.
      const next = await chat(g.url, token, 'next', String(row.conversation_id));
      expect(next.body.answer).toBe('You said: next');
    } finally {
      await g.stop();
    }
  });
});
