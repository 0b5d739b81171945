import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from './index.js';
import {
  answerOf,
  call,
  chatBody,
  control as controlRoute,
  dataOf,
  request,
  startTestSimulator,
  streamChat,
  waitForChat,
} from './testing.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(() => sim.close());
afterEach(() => sim.resetFaults());

const control = (path: string, method: string, body?: unknown) => controlRoute(sim, path, { method, body });

type Chat = {
  id: string;
  conversation_id: string;
  status: string;
  last_error: { code: number; msg: string };
};
const MESSAGE = 'a message long enough for several deltas';

describe('fault knobs', () => {
  it('need the control token: without it, or with another, nothing is shown or changed', async () => {
    for (const token of [null, 'guess', `${sim.controlToken}x`]) {
      const r = await controlRoute(sim, 'faults', { method: 'POST', body: { chatFailCount: 5 }, token });
      expect(r.status).toBe(401);
      expect((await controlRoute(sim, 'stats', { token })).status).toBe(401);
    }
    expect((await control('faults', 'GET')).json.faults.chatFailCount).toBe(0);
    const own = await startTestSimulator({ controlToken: 'given-control-token' });
    try {
      expect(own.controlToken).toBe('given-control-token');
      expect((await controlRoute(own, 'stats', { token: 'given-control-token' })).status).toBe(200);
    } finally {
      await own.close();
    }
  });

  it('sets, shows, validates and resets faults over HTTP', async () => {
    const set = await control('faults', 'POST', { chatFailCount: 1, chunking: 'fixed' });
    expect(set.status).toBe(200);
    expect(set.json.faults).toMatchObject({ chatFailCount: 1, chunking: 'fixed' });
    expect((await control('faults', 'GET')).json.faults.chatFailCount).toBe(1);
    expect((await control('faults', 'POST', { bogus: true })).status).toBe(400);
    expect((await control('faults', 'DELETE')).json.faults).toMatchObject({
      chatFailCount: 0,
      chunking: 'none',
    });
  });

  it('injects HTTP 5xx for the next N requests, optionally on one path', async () => {
    await control('faults', 'POST', { http5xxCount: 1, http5xxPath: '/v3/chat' });
    expect((await call(sim, '/v1/conversation/create', { body: {} })).status).toBe(200);
    const hit = await call(sim, '/v3/chat', { body: chatBody('x') });
    expect(hit.status).toBe(502);
    expect(hit.headers.get('x-tt-logid')).toBeTruthy();
    expect(String(hit.json)).toContain('502');
    expect((await streamChat(sim, 'x')).status).toBe(200);
    sim.setFaults({ http5xxCount: 2, http5xxStatus: 503, http5xxPath: null, http5xxBody: '{"oops":1}' });
    expect((await call(sim, '/v1/conversations?bot_id=1')).status).toBe(503);
    expect((await call(sim, '/v1/conversation/create', { body: {} })).json).toEqual({ oops: 1 });
    expect((await call(sim, '/v1/conversation/create', { body: {} })).status).toBe(200);
  });

  it('fails the next chat mid-stream with 5000 event interval error', async () => {
    sim.setFaults({ chatFailCount: 1 });
    const s = await streamChat(sim, MESSAGE);
    expect(s.events.filter((e) => e.event === 'conversation.message.delta')).toHaveLength(2);
    expect(s.events.slice(-2).map((e) => e.event)).toEqual(['conversation.chat.failed', 'done']);
    const [failed] = dataOf<Chat & { failed_at: number }>(s.events, 'conversation.chat.failed');
    expect(failed?.last_error).toEqual({ code: 5000, msg: 'event interval error' });
    expect(failed?.failed_at).toBeGreaterThan(1_600_000_000);
    expect((await streamChat(sim, MESSAGE)).events.at(-2)?.event).toBe('conversation.chat.completed');
  });

  it('fails non-stream chats (HTTP route) and the #fail magic word', async () => {
    await control('faults', 'POST', { chatFailCount: 1 });
    const created = await call(sim, '/v3/chat', { body: chatBody(MESSAGE, { stream: false }) });
    const { id, conversation_id: cid } = created.json.data;
    const final = await waitForChat(sim, cid, id);
    expect(final).toMatchObject({
      status: 'failed',
      last_error: { code: 5000, msg: 'event interval error' },
    });
    const list = await call(sim, `/v3/chat/message/list?conversation_id=${cid}&chat_id=${id}`);
    expect(list.json).toMatchObject({ code: 0, data: [] });
    const magic = await streamChat(sim, 'please #fail now');
    expect(magic.events.map((e) => e.event)).toContain('conversation.chat.failed');
  });

  it('cuts the next stream after K deltas without done; the chat still completes', async () => {
    await control('faults', 'POST', { streamCutCount: 1, streamCutAfterDeltas: 3 });
    const s = await streamChat(sim, MESSAGE);
    expect(s.broken).toBe(true);
    expect(s.events.filter((e) => e.event === 'conversation.message.delta')).toHaveLength(3);
    expect(s.events.map((e) => e.event)).not.toContain('done');
    const [chat] = dataOf<Chat>(s.events, 'conversation.chat.created');
    expect((await waitForChat(sim, chat?.conversation_id ?? '', chat?.id ?? '')).status).toBe('completed');
    sim.setFaults({ streamCutCount: 1, streamCutAfterDeltas: 1 });
    expect((await streamChat(sim, MESSAGE)).broken).toBe(true);
    const magic = await streamChat(sim, 'cut me #cut please');
    expect(magic.broken).toBe(true);
    expect(magic.events.filter((e) => e.event === 'conversation.message.delta')).toHaveLength(2);
  });

  it('answers a legacy bare JSON error on a stream (no trailing newline)', async () => {
    await control('faults', 'POST', { legacyBareJsonErrorCount: 1 });
    const res = await request(sim, '/v3/chat', { body: chatBody('x') });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await res.text()).toBe('{"code":4100,"msg":"authentication is invalid"}');
    sim.setFaults({ legacyBareJsonErrorCount: 1 });
    expect(await (await request(sim, '/v3/chat', { body: chatBody('x') })).text()).toMatch(/^\{"code":4100/);
    expect((await streamChat(sim, 'x')).events.at(-1)?.event).toBe('done');
  });

  it('reassembles randomly and fixed-size chunked streams into the same events', async () => {
    const text = '中文和 emoji 😀 混合的消息 with ascii';
    const plain = await streamChat(sim, text);
    sim.setFaults({ chunking: 'random', chunkMinBytes: 1, chunkMaxBytes: 7 });
    const random = await streamChat(sim, text);
    await control('faults', 'POST', { chunking: 'fixed', chunkBytes: 5 });
    const fixed = await streamChat(sim, text);
    for (const s of [random, fixed]) {
      expect(s.events.map((e) => e.event)).toEqual(plain.events.map((e) => e.event));
      expect(answerOf(s.events)).toBe(`You said: ${text}`);
      expect(s.raw.endsWith('data:"[DONE]"\n\n')).toBe(true);
    }
  });

  it('applies latency knobs (first event delay, delta delay, #slow) without breaking the stream', async () => {
    await control('faults', 'POST', { firstEventDelayMs: 30, deltaDelayMs: 0 });
    const s = await streamChat(sim, MESSAGE);
    expect(answerOf(s.events)).toBe(`You said: ${MESSAGE}`);
    sim.setFaults({ deltaDelayMs: 5, firstEventDelayMs: 0 });
    expect(answerOf((await streamChat(sim, 'go #slow')).events)).toBe('You said: go #slow');
  });

  it('takes the token endpoint down over HTTP', async () => {
    await control('faults', 'POST', { tokenEndpointDown: true });
    const r = await call(sim, '/api/permission/oauth2/token', { body: {}, token: 'x.y.z' });
    expect(r.status).toBe(500);
    expect(r.json).toMatchObject({ error: 'internal_error', error_code: 'internal_error' });
    expect(Object.keys(r.json).sort()).toEqual(['error', 'error_code', 'error_description', 'error_message']);
  });
});

describe('stats', () => {
  it('counts requests, chats and conversations; resets over HTTP and in-process', async () => {
    await control('stats/reset', 'POST');
    await streamChat(sim, 'count me');
    await call(sim, '/v1/conversation/create', { body: {} });
    const stats = (await control('stats', 'GET')).json;
    expect(stats).toMatchObject({ chats: 1, conversationsCreated: 2, requests: 2, busy4016: 0 });
    expect(sim.stats()).toEqual(stats);
    sim.resetStats();
    expect(sim.stats().requests).toBe(0);
  });
});
