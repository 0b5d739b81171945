// The Coze client against the simulator over real HTTP: chat v3 streams, polling, tools, errors.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/index.js';
import { type ChatParams, type CozeClient, createCozeClient } from './client.js';
import { answerText, drain } from './stream-testing.js';
import { BOT, jwtCredentials, PAT, startTestSimulator, uniqueSession } from './testing.js';
import { createMemoryTokenCache } from './token-cache.js';
import { createTokenProvider, type TokenProvider } from './token-provider.js';
import type { ChatEvent } from './types.js';

let sim: Simulator;
let tokens: TokenProvider;
let client: CozeClient;
const statuses: number[] = [];

beforeAll(async () => {
  sim = await startTestSimulator();
  tokens = createTokenProvider({ baseUrl: sim.url, jwt: jwtCredentials() });
  client = createCozeClient({
    baseUrl: sim.url,
    tokens,
    hooks: { onResponse: (i) => statuses.push(i.status) },
  });
});
afterAll(() => sim.close());
beforeEach(() => sim.resetFaults());

const params = (message: string, extra: Partial<ChatParams> = {}): ChatParams => ({
  sessionName: uniqueSession('chat'),
  botId: BOT,
  userId: 'u-1',
  message,
  ...extra,
});

const names = (events: ChatEvent[]) =>
  events.map((e) => (e.type === 'chat' || e.type === 'message' ? e.event : e.type));

describe('streamChat', () => {
  it('yields deltas that make the answer, then chat.completed with usage, then done', async () => {
    const stream = await client.streamChat(params('hello there'));
    expect(stream.logId).toBeTruthy();
    const { events, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(answerText(events)).toBe('You said: hello there');
    expect(names(events).slice(0, 2)).toEqual(['conversation.chat.created', 'conversation.chat.in_progress']);
    const completed = events.findLast((e) => e.type === 'chat');
    expect(completed).toMatchObject({ event: 'conversation.chat.completed', chat: { status: 'completed' } });
    expect(completed?.type === 'chat' && completed.chat.usage?.token_count).toBeGreaterThan(0);
    expect(events.at(-1)).toEqual({ type: 'done' });
  });

  it('remembers within a conversation created for the session', async () => {
    const sessionName = uniqueSession('memory');
    const { conversation, logId } = await client.createConversation({
      sessionName,
      botId: BOT,
      metaData: { k: 'v' },
    });
    expect(logId).toBeTruthy();
    expect(await client.retrieveConversation({ sessionName, conversationId: conversation.id })).toMatchObject(
      {
        id: conversation.id,
      },
    );
    const p = { sessionName, conversationId: conversation.id };
    await drain(await client.streamChat(params('my name is Ada', p)));
    const { events } = await drain(await client.streamChat(params('what is my name?', p)));
    expect(answerText(events)).toContain('Ada');
  });

  it('parses identically under random byte chunking', async () => {
    const plain = await drain(await client.streamChat(params('我叫什么 — chunk me 😀 please')));
    sim.setFaults({ chunking: 'random', chunkMinBytes: 1, chunkMaxBytes: 5 });
    const chunked = await drain(await client.streamChat(params('我叫什么 — chunk me 😀 please')));
    expect(chunked.error).toBeUndefined();
    expect(names(chunked.events)).toEqual(names(plain.events));
    expect(answerText(chunked.events)).toBe(answerText(plain.events));
  });

  it('a stream cut mid-answer throws GW_UPSTREAM_TRUNCATED after yielding the partial deltas', async () => {
    sim.setFaults({ streamCutCount: 1, streamCutAfterDeltas: 2 });
    const stream = await client.streamChat(params('a long enough message to be cut in pieces'));
    const { events, error } = await drain(stream);
    expect(error).toMatchObject({ code: 'GW_UPSTREAM_TRUNCATED', logId: stream.logId });
    const partial = answerText(events);
    expect(partial.length).toBeGreaterThan(0);
    expect('You said: a long enough message to be cut in pieces'.startsWith(partial)).toBe(true);
    expect(partial.length).toBeLessThan('You said: a long enough message to be cut in pieces'.length);
  });

  it('chat.failed yields the failed chat and ends normally', async () => {
    sim.setFaults({ chatFailCount: 1 });
    const { events, error } = await drain(await client.streamChat(params('this one fails')));
    expect(error).toBeUndefined();
    const failed = events.find((e) => e.type === 'chat' && e.event === 'conversation.chat.failed');
    expect(failed).toMatchObject({ chat: { status: 'failed', last_error: { code: 5000 } } });
  });

  it('a second concurrent chat in one conversation rejects with GW_CONVERSATION_BUSY (4016)', async () => {
    const sessionName = uniqueSession('busy');
    const { conversation } = await client.createConversation({ sessionName, botId: BOT });
    sim.setFaults({ deltaDelayMs: 50 });
    const p = { sessionName, conversationId: conversation.id };
    const first = await client.streamChat(params('first, slowly', p));
    const second = await client.streamChat(params('second', p)).catch((e: unknown) => e);
    expect(second).toMatchObject({ code: 'GW_CONVERSATION_BUSY', cozeCode: 4016 });
    expect((second as { logId?: string }).logId).toBeTruthy();
    first.abort();
  });

  it('maps the legacy bare JSON error body to GW_COZE_AUTH (§3.5)', async () => {
    sim.setFaults({ legacyBareJsonErrorCount: 1 });
    const stream = await client.streamChat(params('legacy'));
    const { events, error } = await drain(stream);
    expect(events).toEqual([]);
    expect(error).toMatchObject({ code: 'GW_COZE_AUTH', cozeCode: 4100 });
  });

  it('an unknown bot is rejected before the stream with its code and log id', async () => {
    const err = await client
      .streamChat(params('hi', { botId: '7599999999999999999' }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'GW_COZE_REJECTED', cozeCode: 4200 });
    expect((err as { logId?: string }).logId).toBeTruthy();
  });

  it('the idle timeout fires with GW_UPSTREAM_TIMEOUT when the simulator is slowed', async () => {
    const slow = createCozeClient({ baseUrl: sim.url, tokens, timeouts: { idleMs: 100 } });
    sim.setFaults({ deltaDelayMs: 1_000 });
    const { events, error } = await drain(await slow.streamChat(params('slow please')));
    expect(error).toMatchObject({ code: 'GW_UPSTREAM_TIMEOUT' });
    expect(events.length).toBeGreaterThan(0);
  });

  it('requires_action, then submitToolOutputs continues to an answer with the tool output', async () => {
    const p = params('where is my order 42');
    const { events } = await drain(await client.streamChat(p));
    const action = events.find((e) => e.type === 'chat' && e.event === 'conversation.chat.requires_action');
    if (action?.type !== 'chat') throw new Error('no requires_action event');
    const call = action.chat.required_action?.submit_tool_outputs.tool_calls[0];
    expect(call?.function.name).toBe('get_order_status');
    expect(events.at(-1)).toEqual({ type: 'done' });
    const rest = await drain(
      await client.submitToolOutputs({
        sessionName: p.sessionName,
        conversationId: action.chat.conversation_id,
        chatId: action.chat.id,
        toolOutputs: [{ toolCallId: call?.id ?? '', output: 'shipped on Monday' }],
      }),
    );
    expect(rest.error).toBeUndefined();
    expect(answerText(rest.events)).toContain('shipped on Monday');
    expect(rest.events.findLast((e) => e.type === 'chat')).toMatchObject({ chat: { status: 'completed' } });
  });
});

describe('non-stream chat', () => {
  it('createAndPoll returns the answer message', async () => {
    const { chat, messages } = await client.createAndPoll(params('poll me'), { intervalMs: 20 });
    expect(chat.status).toBe('completed');
    const reply = messages.find((m) => m.type === 'answer');
    expect(reply?.content).toBe('You said: poll me');
  });

  it('cancelChat cancels a running chat', async () => {
    sim.setFaults({ deltaDelayMs: 200 });
    const p = params('cancel me please, this is long');
    const { chat } = await client.createChat(p);
    const ref = { sessionName: p.sessionName, conversationId: chat.conversation_id, chatId: chat.id };
    expect((await client.cancelChat(ref)).status).toBe('canceled');
    expect((await client.retrieveChat(ref)).status).toBe('canceled');
  });

  it('createAndPoll past its deadline cancels the chat and throws GW_UPSTREAM_TIMEOUT', async () => {
    sim.setFaults({ deltaDelayMs: 500 });
    const paths: string[] = [];
    const c = createCozeClient({
      baseUrl: sim.url,
      tokens,
      hooks: { onResponse: (i) => paths.push(i.path) },
    });
    await expect(
      c.createAndPoll(params('too slow to wait for'), { intervalMs: 20, deadlineMs: 100 }),
    ).rejects.toMatchObject({
      code: 'GW_UPSTREAM_TIMEOUT',
    });
    expect(paths.at(-1)).toBe('/v3/chat/cancel');
  });
});

describe('errors and auth', () => {
  it('a bad PAT is GW_COZE_AUTH with the log id', async () => {
    const bad = createCozeClient({
      baseUrl: sim.url,
      tokens: createTokenProvider({ baseUrl: sim.url, pat: 'pat_wrong' }),
    });
    const err = await bad.createChat(params('hi')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'GW_COZE_AUTH', cozeCode: 4100 });
    expect((err as { logId?: string }).logId).toBeTruthy();
    expect((err as Error).message).not.toContain('pat_wrong');
    const streamErr = await bad.streamChat(params('hi')).catch((e: unknown) => e);
    expect(streamErr).toMatchObject({ code: 'GW_COZE_AUTH', cozeCode: 4100 });
  });

  it('injected 5xx is GW_UPSTREAM_UNAVAILABLE, for JSON calls and streams', async () => {
    sim.setFaults({ http5xxCount: 2 });
    await expect(client.createChat(params('x'))).rejects.toMatchObject({ code: 'GW_UPSTREAM_UNAVAILABLE' });
    await expect(client.streamChat(params('x'))).rejects.toMatchObject({ code: 'GW_UPSTREAM_UNAVAILABLE' });
  });

  it('a refused connection is GW_UPSTREAM_UNAVAILABLE', async () => {
    const nowhere = createCozeClient({
      baseUrl: 'http://127.0.0.1:9',
      tokens: createTokenProvider({ baseUrl: sim.url, pat: PAT }),
    });
    await expect(nowhere.createChat(params('x'))).rejects.toMatchObject({ code: 'GW_UPSTREAM_UNAVAILABLE' });
  });

  it('a 4100 on a cached OAuth token invalidates it and retries once', async () => {
    const cache = createMemoryTokenCache();
    const sessionName = uniqueSession('stale');
    await cache.set(sessionName, {
      token: 'czs_revoked',
      expiresAt: Date.now() + 3_600_000,
      source: 'oauth',
    });
    const c = createCozeClient({
      baseUrl: sim.url,
      tokens: createTokenProvider({ baseUrl: sim.url, jwt: jwtCredentials(), cache }),
    });
    const { conversation } = await c.createConversation({ sessionName, botId: BOT });
    expect(conversation.id).toMatch(/^\d+$/);
    expect((await cache.get(sessionName))?.token).not.toBe('czs_revoked');
    await cache.set(sessionName, {
      token: 'czs_revoked',
      expiresAt: Date.now() + 3_600_000,
      source: 'oauth',
    });
    const { events } = await drain(await c.streamChat(params('after retry', { sessionName })));
    expect(answerText(events)).toBe('You said: after retry');
  });

  it('the whole-request timeout of a JSON call is GW_UPSTREAM_TIMEOUT', async () => {
    // A real server that accepts the connection and never answers (a black-holed upstream).
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as AddressInfo;
    try {
      const pat = createTokenProvider({ baseUrl: sim.url, pat: PAT });
      const hasty = createCozeClient({
        baseUrl: `http://127.0.0.1:${port}`,
        tokens: pat,
        timeouts: { requestMs: 150 },
      });
      await expect(hasty.createChat(params('x'))).rejects.toMatchObject({ code: 'GW_UPSTREAM_TIMEOUT' });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('a stream whose headers do not come in time is GW_UPSTREAM_TIMEOUT', async () => {
    sim.setFaults({ firstEventDelayMs: 1_000 });
    const hasty = createCozeClient({ baseUrl: sim.url, tokens, timeouts: { headersMs: 100 } });
    await expect(hasty.streamChat(params('x'))).rejects.toMatchObject({ code: 'GW_UPSTREAM_TIMEOUT' });
  });

  it('an aborted caller signal rejects with its reason', async () => {
    sim.setFaults({ firstEventDelayMs: 1_000 });
    const ac = new AbortController();
    const pending = client.streamChat({ ...params('x'), signal: ac.signal });
    setTimeout(() => ac.abort(new Error('client went away')), 50);
    await expect(pending).rejects.toThrow('client went away');
  });

  it('every call on a healthy token made no 401', () => {
    expect(statuses.filter((s) => s === 401)).toEqual([]);
  });
});
