import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from './index.js';
import { BOT, call, PAT, startTestSimulator, streamChat } from './testing.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startTestSimulator({ pats: [PAT, 'pat_other'] });
});
afterAll(() => sim.close());

describe('conversations', () => {
  it('creates, retrieves and lists conversations with string ids and second timestamps', async () => {
    const created = await call(sim, '/v1/conversation/create', {
      body: { bot_id: BOT, meta_data: { k: 'v' } },
    });
    expect(created.json).toMatchObject({ code: 0, msg: '', data: { meta_data: { k: 'v' } } });
    expect(created.json.detail.logid).toBe(created.headers.get('x-tt-logid'));
    const c = created.json.data;
    expect(c.id).toMatch(/^\d{19}$/);
    expect(String(c.created_at)).toMatch(/^\d{10}$/);
    const got = await call(sim, `/v1/conversation/retrieve?conversation_id=${c.id}`);
    expect(got.json.data.id).toBe(c.id);
    const list = await call(sim, `/v1/conversations?bot_id=${BOT}&page_num=1&page_size=50`);
    expect(list.json.data.has_more).toBe(false);
    expect(list.json.data.conversations.map((x: { id: string }) => x.id)).toContain(c.id);
  });

  it('hides conversations of another identity (4101)', async () => {
    const c = (await call(sim, '/v1/conversation/create', { body: {} })).json.data;
    const other = await call(sim, `/v1/conversation/retrieve?conversation_id=${c.id}`, {
      token: 'pat_other',
    });
    expect(other.status).toBe(403);
    expect(other.json.code).toBe(4101);
    const missing = await call(sim, '/v1/conversation/retrieve?conversation_id=7500000000000000999');
    expect(missing.json.code).toBe(4200);
    const list = await call(sim, `/v1/conversations?bot_id=${BOT}`, { token: 'pat_other' });
    expect(list.json.data.conversations).toEqual([]);
  });

  it('lists messages with top-level paging fields', async () => {
    const c = (
      await call(sim, '/v1/conversation/create', {
        body: { messages: [{ role: 'user', content: 'my name is Zoe', content_type: 'text' }] },
      })
    ).json.data;
    await streamChat(sim, 'hello', { conversationId: c.id });
    const page = await call(sim, `/v1/conversation/message/list?conversation_id=${c.id}`, {
      body: { order: 'asc', limit: 2 },
    });
    expect(Object.keys(page.json)).toEqual(
      expect.arrayContaining(['first_id', 'last_id', 'has_more', 'data']),
    );
    expect(page.json.data.map((m: { content: string }) => m.content)).toEqual(['my name is Zoe', 'hello']);
    expect(page.json.has_more).toBe(true);
    const next = await call(sim, `/v1/conversation/message/list?conversation_id=${c.id}`, {
      body: { order: 'asc', after_id: page.json.last_id },
    });
    expect(next.json.data.map((m: { type: string; content: string }) => [m.type, m.content])).toEqual([
      ['answer', 'You said: hello'],
    ]);
    expect(next.json.has_more).toBe(false);
    const remembered = await streamChat(sim, 'what is my name?', { conversationId: c.id });
    expect(remembered.raw).toContain('Your name is Zoe.');
  });

  it('answers 4000 for a bad JSON body', async () => {
    const r = await call(sim, '/v1/conversation/create', { rawBody: '{oops' });
    expect(r.json.code).toBe(4000);
  });
});
