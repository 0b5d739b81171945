import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_APP_ID, DEFAULT_CHATFLOW_ID, DEFAULT_WORKFLOW_ID, type Simulator } from './index.js';
import {
  answerOf,
  call,
  dataOf,
  PAT,
  parseSpacedFrames,
  readStream,
  request,
  type StreamResult,
  startTestSimulator,
} from './testing.js';

const FIXTURE = new URL('../../../shared/coze-fixtures/py-workflows_chat_stream_resp.txt', import.meta.url);
const OTHER = 'pat_other_user';

let sim: Simulator;
beforeAll(async () => {
  sim = await startTestSimulator({ pats: [PAT, OTHER] });
});
afterAll(() => sim.close());

type Data = Record<string, unknown>;
type Chat = { id: string; conversation_id: string; status: string } & Data;

function chatflowBody(message: string, extra: Data = {}): Data {
  return {
    workflow_id: DEFAULT_CHATFLOW_ID,
    app_id: DEFAULT_APP_ID,
    additional_messages: [{ role: 'user', content: message, content_type: 'text' }],
    ...extra,
  };
}

function start(message: string, opts: { conversationId?: string; token?: string } = {}): Promise<Response> {
  const extra = opts.conversationId ? { conversation_id: opts.conversationId } : {};
  return request(sim, '/v1/workflows/chat', { body: chatflowBody(message, extra), token: opts.token });
}

async function chatflow(message: string, opts: { conversationId?: string; token?: string } = {}) {
  return readStream(await start(message, opts), parseSpacedFrames);
}

const convOf = (s: StreamResult): string =>
  dataOf<Chat>(s.events, 'conversation.chat.created')[0]?.conversation_id ?? '';
const keys = (d: object | undefined): string[] => Object.keys(d ?? {}).sort();

describe('POST /v1/workflows/chat', () => {
  it('streams chat v3 events with the chatflow framing of the recorded stream', async () => {
    const s = await chatflow('hello there');
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(s.raw).not.toMatch(/^id:/m);
    expect(s.raw).toMatch(/^event: conversation\.chat\.created\ndata: \{/);
    expect(s.raw.endsWith('}\n\n')).toBe(true);
    const names = s.events.map((e) => e.event);
    const collapse = (n: string[]) => n.filter((x, i) => x !== n[i - 1]);
    const expected = [
      'conversation.chat.created',
      'conversation.chat.in_progress',
      'conversation.message.delta',
      'conversation.message.completed',
      'conversation.chat.completed',
      'done',
    ];
    expect(collapse(names)).toEqual(expected);
    expect(answerOf(s.events)).toBe('Chatflow answer: hello there');
    const done = JSON.parse(s.events.at(-1)?.data ?? '{}') as { debug_url: string };
    expect(done.debug_url).toMatch(
      /^https:\/\/www\.coze\.cn\/work_flow\?execute_id=\d+&space_id=\d+&workflow_id=/,
    );
    const chats = [
      ...dataOf<Chat>(s.events, 'conversation.chat.created'),
      ...dataOf<Chat>(s.events, 'conversation.chat.completed'),
    ];
    for (const c of chats) expect(c).not.toHaveProperty('bot_id');
    const completed = dataOf<Data>(s.events, 'conversation.message.completed');
    expect(completed.map((m) => m.type)).toEqual(['answer', 'verbose']);
    expect(JSON.parse(String(completed[1]?.content))).toMatchObject({ msg_type: 'generate_answer_finish' });

    if (existsSync(FIXTURE)) {
      const text = readFileSync(FIXTURE, 'utf8');
      const fixture = parseSpacedFrames(text.split('\n'));
      expect(collapse(fixture.map((f) => f.event))).toEqual(expected);
      const fx = (name: string) => dataOf<Data>(fixture, name);
      expect(keys(dataOf<Data>(s.events, 'conversation.chat.created')[0])).toEqual(
        keys(fx('conversation.chat.created')[0]),
      );
      expect(keys(dataOf<Data>(s.events, 'conversation.message.delta')[0])).toEqual(
        keys(fx('conversation.message.delta')[0]),
      );
      expect(keys(dataOf<Data>(s.events, 'done')[0])).toEqual(keys(fx('done')[0]));
    }
  });

  it('keeps context per conversation and apart between two identities', async () => {
    const alice = await chatflow('My name is Alice');
    expect(answerOf(alice.events)).toBe('Nice to meet you, Alice!');
    const bob = await chatflow('My name is Bob', { token: OTHER });
    const aliceConv = convOf(alice);
    const bobConv = convOf(bob);
    expect(bobConv).not.toBe(aliceConv);
    expect(answerOf((await chatflow('what is my name?', { conversationId: aliceConv })).events)).toBe(
      'Your name is Alice.',
    );
    expect(
      answerOf((await chatflow('what is my name?', { conversationId: bobConv, token: OTHER })).events),
    ).toBe('Your name is Bob.');
    // No conversation_id: a new conversation, not a shared default one.
    expect(answerOf((await chatflow('what is my name?')).events)).toBe("I don't know your name yet.");
    const foreign = await call(sim, '/v1/workflows/chat', {
      body: chatflowBody('what is my name?', { conversation_id: aliceConv }),
      token: OTHER,
    });
    expect(foreign.headers.get('content-type')).toMatch(/^application\/json/);
    expect(foreign.json.code).toBe(4101);
    const history = await call(sim, `/v1/conversation/message/list?conversation_id=${aliceConv}`, {
      body: { order: 'asc' },
    });
    expect(history.json.data.map((m: { content: string }) => m.content)).toEqual([
      'My name is Alice',
      'Nice to meet you, Alice!',
      'what is my name?',
      'Your name is Alice.',
    ]);
  });

  it('asks a question (requires_action with reply_message) and continues with the reply', async () => {
    const before = sim.stats().resumes;
    const s = await chatflow('weather #ask');
    expect(s.events.slice(-2).map((e) => e.event)).toEqual(['conversation.chat.requires_action', 'done']);
    expect(answerOf(s.events)).toBe('Which city?');
    const completed = dataOf<{ type: string; content: string }>(s.events, 'conversation.message.completed');
    expect(completed.map((m) => m.type)).toEqual(['answer', 'verbose', 'verbose']);
    expect(JSON.parse(completed[1]?.content ?? '{}')).toMatchObject({ msg_type: 'interrupt' });
    const finish = JSON.parse(completed[2]?.content ?? '{}') as { msg_type: string; data: string };
    expect(finish.msg_type).toBe('generate_answer_finish');
    expect(JSON.parse(finish.data)).toMatchObject({ finish_reason: 1 });
    type Waiting = Chat & {
      required_action: { type: string; submit_tool_outputs: { tool_calls: { id: string; type: string }[] } };
    };
    const [waiting] = dataOf<Waiting>(s.events, 'conversation.chat.requires_action');
    expect(waiting?.status).toBe('requires_action');
    expect(waiting?.required_action.type).toBe('submit_tool_outputs');
    expect(waiting?.required_action.submit_tool_outputs.tool_calls[0]?.type).toBe('reply_message');
    expect(waiting).not.toHaveProperty('bot_id');

    const submit = await call(
      sim,
      `/v3/chat/submit_tool_outputs?conversation_id=${waiting?.conversation_id}&chat_id=${waiting?.id}`,
      { body: { tool_outputs: [{ tool_call_id: 'x', output: 'Paris' }] } },
    );
    expect(submit.json.code).toBe(4000);

    const reply = await chatflow('Paris', { conversationId: waiting?.conversation_id });
    expect(answerOf(reply.events)).toBe('Chatflow answer: weather #ask in Paris');
    expect(reply.events.at(-2)?.event).toBe('conversation.chat.completed');
    expect(sim.stats().resumes).toBe(before + 1);
    const next = await chatflow('and now', { conversationId: waiting?.conversation_id });
    expect(answerOf(next.events)).toBe('Chatflow answer: and now');
  });

  it('answers 4016 while a chat of the same conversation runs', async () => {
    const conv = (await call(sim, '/v1/conversation/create', { body: {} })).json.data;
    const running = await start('slowly #slow', { conversationId: conv.id });
    const second = await call(sim, '/v1/workflows/chat', {
      body: chatflowBody('again', { conversation_id: conv.id }),
    });
    expect(second.headers.get('content-type')).toMatch(/^application\/json/);
    expect(second.json.code).toBe(4016);
    await readStream(running, parseSpacedFrames);
    expect((await chatflow('free now', { conversationId: conv.id })).events.at(-1)?.event).toBe('done');
  });

  it('checks ids, messages and auth before streaming', async () => {
    const code = async (body: Data, token?: string | null) =>
      (await call(sim, '/v1/workflows/chat', { body, token })).json.code;
    expect(await code(chatflowBody('x', { workflow_id: '7000000000000000002' }))).toBe(4200);
    expect(await code(chatflowBody('x', { workflow_id: DEFAULT_WORKFLOW_ID }))).toBe(4000);
    expect(await code(chatflowBody('x', { app_id: '7000000000000000003' }))).toBe(4200);
    expect(await code(chatflowBody('x', { bot_id: '7500000000000000001' }))).toBe(4000);
    expect(await code(chatflowBody('x', { additional_messages: [] }))).toBe(4000);
    expect(
      await code(chatflowBody('x', { additional_messages: [{ role: 'assistant', content: 'x' }] })),
    ).toBe(4000);
    expect(await code(chatflowBody('x', { conversation_id: '7000000000000000004' }))).toBe(4200);
    const noAuth = await call(sim, '/v1/workflows/chat', { body: chatflowBody('x'), token: 'pat_nope' });
    expect(noAuth.status).toBe(401);
    expect(noAuth.json.code).toBe(4100);
    expect(sim.stats().chatflowRuns).toBeGreaterThan(5);
  });

  it('works with bot_id alone and fails a #fail chat', async () => {
    const s = await chatflow('x');
    expect(s.events.at(-1)?.event).toBe('done');
    const res = await request(sim, '/v1/workflows/chat', {
      body: { ...chatflowBody('oops #fail'), app_id: undefined, bot_id: '7500000000000000001' },
    });
    const failed = await readStream(res, parseSpacedFrames);
    expect(failed.events.slice(-2).map((e) => e.event)).toEqual(['conversation.chat.failed', 'done']);
    expect(dataOf<Chat>(failed.events, 'conversation.chat.failed')[0]?.last_error).toEqual({
      code: 5000,
      msg: 'event interval error',
    });
  });
});
