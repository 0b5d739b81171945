import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from './index.js';
import {
  answerOf,
  call,
  chatBody,
  dataOf,
  PAT,
  parseFrames,
  readStream,
  request,
  startTestSimulator,
  streamChat,
  waitForChat,
} from './testing.js';

// The recorded stream (shared/coze-fixtures/py-chat_text_stream_resp.txt) with repeated deltas collapsed;
// when the fixture is present beside the repository the test also checks this list against it.
const FIXTURE = new URL('../../../shared/coze-fixtures/py-chat_text_stream_resp.txt', import.meta.url);
const RECORDED_ORDER = [
  'conversation.chat.created',
  'conversation.chat.in_progress',
  'conversation.message.delta',
  'conversation.message.completed',
  'conversation.chat.completed',
  'done',
];
let sim: Simulator;
beforeAll(async () => {
  sim = await startTestSimulator({ pats: [PAT, 'pat_two'] });
});
afterAll(() => sim.close());

type Chat = { id: string; conversation_id: string; status: string; last_error: { code: number } };

describe('POST /v3/chat stream', () => {
  it('frames events exactly like the recorded Coze stream', async () => {
    const s = await streamChat(sim, 'hello world, how are you');
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(s.headers.get('x-tt-logid')).toMatch(/^\d{14}[0-9A-F]{20}$/);
    expect(s.raw.endsWith('event:done\ndata:"[DONE]"\n\n')).toBe(true);
    expect(s.raw).not.toMatch(/^(event|data): /m);

    const collapse = (names: string[]) => names.filter((n, i) => n !== names[i - 1]);
    if (existsSync(FIXTURE)) {
      const fixture = parseFrames(readFileSync(FIXTURE, 'utf8').split('\n'));
      expect(collapse(fixture.map((f) => f.event))).toEqual(RECORDED_ORDER);
    }
    const ours = s.events.map((e) => e.event);
    expect(collapse(ours).filter((n) => RECORDED_ORDER.includes(n))).toEqual(RECORDED_ORDER);
    expect(ours).toEqual([
      'conversation.chat.created',
      'conversation.chat.in_progress',
      ...Array(ours.length - 8).fill('conversation.message.delta'),
      'conversation.message.completed',
      'conversation.message.completed',
      'conversation.message.completed',
      'conversation.message.completed',
      'conversation.chat.completed',
      'done',
    ]);
    const deltas = dataOf<{ id: string; type: string }>(s.events, 'conversation.message.delta');
    expect(new Set(deltas.map((d) => d.id)).size).toBe(1);
    expect(answerOf(s.events)).toBe('You said: hello world, how are you');
    const completed = dataOf<{ id: string; type: string; content: string }>(
      s.events,
      'conversation.message.completed',
    );
    expect(completed.map((m) => m.type)).toEqual(['answer', 'verbose', 'follow_up', 'follow_up']);
    expect(completed[0]?.id).toBe(deltas[0]?.id);
    expect(completed[0]?.content).toBe('You said: hello world, how are you');
    expect(JSON.parse(completed[1]?.content ?? '{}').msg_type).toBe('generate_answer_finish');
    const [created] = dataOf<Chat & { created_at: number }>(s.events, 'conversation.chat.created');
    expect(created?.id).toMatch(/^\d{19}$/);
    expect(String(created?.created_at)).toMatch(/^\d{10}$/);
    const [done] = dataOf<Chat & { usage: Record<string, number> }>(s.events, 'conversation.chat.completed');
    expect(done?.status).toBe('completed');
    expect(done?.usage.token_count).toBe((done?.usage.output_count ?? 0) + (done?.usage.input_count ?? 0));
    expect(s.events.at(-1)).toEqual({ event: 'done', data: '"[DONE]"' });
  });

  it('remembers a name per conversation only', async () => {
    const first = await streamChat(sim, 'My name is Alice');
    expect(answerOf(first.events)).toBe('Nice to meet you, Alice!');
    const cid = dataOf<Chat>(first.events, 'conversation.chat.created')[0]?.conversation_id ?? '';
    const again = await streamChat(sim, "what's my name?", { conversationId: cid });
    expect(answerOf(again.events)).toBe('Your name is Alice.');
    const fresh = await streamChat(sim, 'What is my name?');
    expect(answerOf(fresh.events)).toBe("I don't know your name yet.");
    const zh = await streamChat(sim, '我叫小明');
    const zhCid = dataOf<Chat>(zh.events, 'conversation.chat.created')[0]?.conversation_id ?? '';
    expect(answerOf((await streamChat(sim, '我叫什么？', { conversationId: zhCid })).events)).toBe(
      '你叫小明。',
    );
  });

  it('answers 4016 (JSON, not SSE) for a second chat while one is running', async () => {
    const conv = (await call(sim, '/v1/conversation/create', { body: {} })).json.data;
    const running = await request(sim, `/v3/chat?conversation_id=${conv.id}`, { body: chatBody('hi #slow') });
    const second = await call(sim, `/v3/chat?conversation_id=${conv.id}`, { body: chatBody('again') });
    expect(second.headers.get('content-type')).toMatch(/^application\/json/);
    expect(second.json.code).toBe(4016);
    expect(second.json.detail.logid).toBeTruthy();
    expect(sim.stats().busy4016).toBeGreaterThanOrEqual(1);
    await readStream(running);
    expect((await streamChat(sim, 'now free', { conversationId: conv.id })).events.at(-1)?.event).toBe(
      'done',
    );
  });

  it('validates the request before streaming', async () => {
    const bad = await call(sim, '/v3/chat', { body: chatBody('x', { user_id: 42 }) });
    expect(bad.json).toMatchObject({
      code: 4000,
      msg: 'The field http body provided is not a valid json or chat request. Please check your input.',
    });
    const unknownBot = await call(sim, '/v3/chat', {
      body: chatBody('x', { bot_id: '7000000000000000000' }),
    });
    expect(unknownBot.json.code).toBe(4200);
    const noAuth = await call(sim, '/v3/chat', { body: chatBody('x'), token: 'pat_nope' });
    expect(noAuth.status).toBe(401);
    expect(noAuth.json).toMatchObject({ code: 4100, msg: 'authentication is invalid' });
    expect(noAuth.headers.get('content-type')).toMatch(/^application\/json/);
    expect(noAuth.json.detail.logid).toBe(noAuth.headers.get('x-tt-logid'));
    const badJson = await call(sim, '/v3/chat', { rawBody: '{"bot_id":' });
    expect(badJson.json.code).toBe(4000);
    const notUser = await call(sim, '/v3/chat', {
      body: chatBody('x', {
        additional_messages: [{ role: 'assistant', content: 'x', content_type: 'text' }],
      }),
    });
    expect(notUser.json.code).toBe(4000);
    const foreign = await streamChat(sim, 'mine');
    const cid = dataOf<Chat>(foreign.events, 'conversation.chat.created')[0]?.conversation_id;
    const other = await call(sim, `/v3/chat?conversation_id=${cid}`, {
      body: chatBody('x'),
      token: 'pat_two',
    });
    expect(other.json.code).toBe(4101);
  });

  it('renders #markdown and #long answers', async () => {
    const md = answerOf((await streamChat(sim, '#markdown')).events);
    expect(md).toContain('**');
    expect(md).toContain('](https://');
    expect(answerOf((await streamChat(sim, '#long 30')).events).split(' ')).toHaveLength(30);
  });
});

describe('non-stream chat', () => {
  it('returns in_progress, then completes; retrieve works with GET and POST; message list', async () => {
    const created = await call(sim, '/v3/chat', { body: chatBody('non stream please', { stream: false }) });
    expect(created.headers.get('content-type')).toMatch(/^application\/json/);
    expect(created.json.data.status).toBe('in_progress');
    const { id, conversation_id: cid } = created.json.data;
    const final = await waitForChat(sim, cid, id);
    expect(final.status).toBe('completed');
    expect(final.completed_at).toBeGreaterThan(1_600_000_000);
    const get = await call(sim, `/v3/chat/retrieve?conversation_id=${cid}&chat_id=${id}`, { method: 'GET' });
    expect(get.json.data.status).toBe('completed');
    const list = await call(sim, `/v3/chat/message/list?conversation_id=${cid}&chat_id=${id}`);
    expect(list.json.data.map((m: { type: string }) => m.type)).toEqual([
      'answer',
      'verbose',
      'follow_up',
      'follow_up',
    ]);
    expect(list.json.data[0].content).toBe('You said: non stream please');
    const history = await call(sim, `/v1/conversation/message/list?conversation_id=${cid}`, { body: {} });
    expect(history.json.data.map((m: { content: string }) => m.content)).toEqual([
      'You said: non stream please',
      'non stream please',
    ]);
  });

  it('cancels a running chat; terminal chats answer 4104', async () => {
    const created = await call(sim, '/v3/chat', { body: chatBody('#long 200 #slow', { stream: false }) });
    const { id, conversation_id: cid } = created.json.data;
    const canceled = await call(sim, '/v3/chat/cancel', { body: { conversation_id: cid, chat_id: id } });
    expect(canceled.json.data.status).toBe('canceled');
    expect((await waitForChat(sim, cid, id)).status).toBe('canceled');
    const again = await call(sim, '/v3/chat/cancel', { body: { conversation_id: cid, chat_id: id } });
    expect(again.json.code).toBe(4104);
    expect((await streamChat(sim, 'after cancel', { conversationId: cid })).events.at(-1)?.event).toBe(
      'done',
    );
  });

  it('completes a chat in the background after the client disconnects', async () => {
    const controller = new AbortController();
    const res = await fetch(`${sim.url}/v3/chat`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${PAT}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(chatBody('bye #long 40')),
      signal: controller.signal,
    });
    const reader = res.body?.getReader();
    const first = new TextDecoder().decode((await reader?.read())?.value);
    const chat = JSON.parse(/data:(.*)\n/.exec(first)?.[1] ?? '{}') as Chat;
    controller.abort();
    expect((await waitForChat(sim, chat.conversation_id, chat.id)).status).toBe('completed');
  });
});

describe('tool calls', () => {
  it('requires action, then continues the same chat with the tool output (stream)', async () => {
    const s = await streamChat(sim, 'Where is my order 42?');
    expect(s.events.slice(-2).map((e) => e.event)).toEqual(['conversation.chat.requires_action', 'done']);
    const [chat] = dataOf<
      Chat & { required_action: { submit_tool_outputs: { tool_calls: { id: string; function: object }[] } } }
    >(s.events, 'conversation.chat.requires_action');
    const call0 = chat?.required_action.submit_tool_outputs.tool_calls[0];
    expect(call0?.function).toEqual({ name: 'get_order_status', arguments: '{"order_id":"42"}' });
    const q = `conversation_id=${chat?.conversation_id}&chat_id=${chat?.id}`;
    const wrong = await call(sim, `/v3/chat/submit_tool_outputs?${q}`, {
      body: { tool_outputs: [{ tool_call_id: 'nope', output: 'x' }], stream: true },
    });
    expect(wrong.json.code).toBe(4000);
    const res = await request(sim, `/v3/chat/submit_tool_outputs?${q}`, {
      body: { tool_outputs: [{ tool_call_id: call0?.id, output: 'shipped, arrives Monday' }], stream: true },
    });
    const cont = await readStream(res);
    expect(cont.events[0]?.event).toBe('conversation.chat.in_progress');
    expect(dataOf<Chat>(cont.events, 'conversation.chat.completed')[0]?.id).toBe(chat?.id);
    expect(answerOf(cont.events)).toBe('Order 42: shipped, arrives Monday');
    expect(cont.events.at(-1)?.event).toBe('done');
  });

  it('works without streaming too', async () => {
    const created = await call(sim, '/v3/chat', { body: chatBody('where is my order 7', { stream: false }) });
    const { id, conversation_id: cid } = created.json.data;
    const waiting = await waitForChat(sim, cid, id);
    expect(waiting.status).toBe('requires_action');
    const toolCallId = waiting.required_action.submit_tool_outputs.tool_calls[0].id;
    const submitted = await call(sim, `/v3/chat/submit_tool_outputs?conversation_id=${cid}&chat_id=${id}`, {
      body: { tool_outputs: [{ tool_call_id: toolCallId, output: '{"status":"lost"}' }] },
    });
    expect(submitted.json.data).toMatchObject({ id, status: 'in_progress' });
    expect((await waitForChat(sim, cid, id)).status).toBe('completed');
    const list = await call(sim, `/v3/chat/message/list?conversation_id=${cid}&chat_id=${id}`);
    const answer = list.json.data.find((m: { type: string }) => m.type === 'answer');
    expect(answer?.content).toBe('Order 7: {"status":"lost"}');
  });
});
