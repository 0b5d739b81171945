// Workflows and chatflows against the simulator over real HTTP (§5.1-5.4).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_APP_ID as APP,
  DEFAULT_CHATFLOW_ID as CHATFLOW,
  type Simulator,
  DEFAULT_WORKFLOW_ID as WORKFLOW,
} from '../simulator/index.js';
import { type CozeClient, createCozeClient } from './client.js';
import { answerText as answer, drain } from './stream-testing.js';
import { jwtCredentials, startTestSimulator, uniqueSession } from './testing.js';
import { createTokenProvider, type TokenProvider } from './token-provider.js';
import type { ChatEvent } from './types.js';
import type { WorkflowEvent } from './workflow-types.js';
import type { ChatflowParams } from './workflows.js';

const UNKNOWN = '7699999999999999999';

/** The streamed text of the output node (the end node's JSON message excluded). */
const streamed = (events: WorkflowEvent[]) =>
  events.map((e) => (e.type === 'message' && e.nodeTitle === 'Message' ? e.content : '')).join('');
const conversationOf = (events: ChatEvent[]) => {
  const chat = events.find((e) => e.type === 'chat');
  return chat?.type === 'chat' ? chat.chat.conversation_id : undefined;
};

describe('workflows and chatflows against the simulator', () => {
  let sim: Simulator;
  let tokens: TokenProvider;
  let client: CozeClient;
  beforeAll(async () => {
    sim = await startTestSimulator();
    tokens = createTokenProvider({ baseUrl: sim.url, jwt: jwtCredentials() });
    client = createCozeClient({ baseUrl: sim.url, tokens });
  });
  afterAll(() => sim.close());

  const run = (input: string) => ({
    sessionName: uniqueSession('wf'),
    workflowId: WORKFLOW,
    parameters: { input },
  });

  describe('streamWorkflow / resumeWorkflow', () => {
    it('streams the output node, the end node with the outputs, then done with a debug url', async () => {
      const stream = await client.streamWorkflow(run('hello there'));
      expect(stream.logId).toBeTruthy();
      const { events, error } = await drain(stream);
      expect(error).toBeUndefined();
      expect(streamed(events)).toBe('Workflow answer: hello there');
      const outputs = events
        .filter((e) => e.type === 'message' && e.nodeTitle !== 'Message')
        .map((e) => (e.type === 'message' ? JSON.parse(e.content) : undefined));
      expect(outputs).toContainEqual({ output: 'Workflow answer: hello there' });
      expect(events.at(-1)).toMatchObject({ type: 'done', debugUrl: expect.stringContaining(WORKFLOW) });
    });

    it('#ask interrupts with the question, and resumeWorkflow answers', async () => {
      const p = run('#ask weather');
      const { events, error } = await drain(await client.streamWorkflow(p));
      expect(error).toBeUndefined();
      expect(streamed(events)).toBe('');
      expect(events.some((e) => e.type === 'message' && e.content.includes('Which city?'))).toBe(true);
      const interrupt = events.at(-1);
      if (interrupt?.type !== 'interrupt') throw new Error('the stream did not end with an interrupt');
      expect(interrupt.interruptType).toBe(2);
      expect(interrupt.eventId).toMatch(/^\d+\/\d+$/);
      const rest = await drain(
        await client.resumeWorkflow({
          sessionName: p.sessionName,
          workflowId: WORKFLOW,
          eventId: interrupt.eventId,
          interruptType: interrupt.interruptType,
          resumeData: 'Hangzhou',
        }),
      );
      expect(rest.error).toBeUndefined();
      expect(streamed(rest.events)).toBe('Workflow answer: #ask weather in Hangzhou');
      expect(rest.events.at(-1)).toMatchObject({ type: 'done' });
    });

    it('PING heartbeats keep a slow run alive past the idle limit (§5.2)', async () => {
      const slow = createCozeClient({ baseUrl: sim.url, tokens, timeouts: { idleMs: 250 } });
      sim.setFaults({ workflowPingMs: 50 });
      try {
        const { events, error } = await drain(await slow.streamWorkflow(run('#slow')));
        expect(error).toBeUndefined();
        expect(events.some((e) => e.type === 'ping')).toBe(true);
        expect(streamed(events)).toBe('Workflow answer: #slow');
      } finally {
        sim.resetFaults();
      }
    });

    it('an unknown workflow id is GW_COZE_REJECTED with cozeCode 4200', async () => {
      const err = await client.streamWorkflow({ ...run('x'), workflowId: UNKNOWN }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'GW_COZE_REJECTED', cozeCode: 4200 });
      expect((err as { logId?: string }).logId).toBeTruthy();
    });
  });

  describe('runWorkflow / resumeWorkflowSync', () => {
    it('returns the outputs, parsed', async () => {
      const r = await client.runWorkflow(run('sync please'));
      expect(r.outputs).toEqual({ output: 'Workflow answer: sync please' });
      expect(JSON.parse(r.output)).toEqual(r.outputs);
      expect(r.debugUrl).toBeTruthy();
      expect(r.interrupt).toBeUndefined();
    });

    it('#ask returns the interrupt, and resumeWorkflowSync answers', async () => {
      const p = run('#ask sync');
      const paused = await client.runWorkflow(p);
      if (!paused.interrupt) throw new Error('no interrupt');
      expect(paused.interrupt.interruptType).toBe(2);
      const done = await client.resumeWorkflowSync({
        sessionName: p.sessionName,
        workflowId: WORKFLOW,
        eventId: paused.interrupt.eventId,
        interruptType: paused.interrupt.interruptType,
        resumeData: 'Paris',
      });
      expect(done.outputs).toEqual({ output: 'Workflow answer: #ask sync in Paris' });
    });

    it('an unknown workflow id is GW_COZE_REJECTED with cozeCode 4200', async () => {
      await expect(client.runWorkflow({ ...run('x'), workflowId: UNKNOWN })).rejects.toMatchObject({
        code: 'GW_COZE_REJECTED',
        cozeCode: 4200,
      });
    });
  });

  describe('streamChatflow', () => {
    const turn = (
      sessionName: string,
      message: string,
      extra: Partial<ChatflowParams> = {},
    ): ChatflowParams => ({
      sessionName,
      workflowId: CHATFLOW,
      appId: APP,
      userId: 'u-1',
      message,
      ...extra,
    });

    it('answers like the chat bot, then done with a debug url', async () => {
      const { events, error } = await drain(
        await client.streamChatflow(turn(uniqueSession('cf'), 'hi there')),
      );
      expect(error).toBeUndefined();
      expect(answer(events)).toBe('Chatflow answer: hi there');
      expect(events.findLast((e) => e.type === 'chat')).toMatchObject({ chat: { status: 'completed' } });
      expect(events.at(-1)).toMatchObject({ type: 'done', debugUrl: expect.stringContaining('http') });
    });

    it('#ask shows the question and a reply_message requires_action; the next turn answers it', async () => {
      const session = uniqueSession('cf-ask');
      const { events } = await drain(await client.streamChatflow(turn(session, '#ask weather')));
      expect(answer(events)).toBe('Which city?');
      const action = events.find((e) => e.type === 'chat' && e.event === 'conversation.chat.requires_action');
      if (action?.type !== 'chat') throw new Error('no requires_action');
      expect(action.chat.required_action?.submit_tool_outputs.tool_calls[0]?.type).toBe('reply_message');
      const verbose = events.filter((e) => e.type === 'message' && e.message.type === 'verbose');
      expect(verbose.some((e) => e.type === 'message' && e.message.content.includes('interrupt'))).toBe(true);
      expect(events.at(-1)).toMatchObject({ type: 'done' });
      // §3.8: a chatflow question is answered by calling the chatflow again in the conversation.
      const reply = await drain(
        await client.streamChatflow(
          turn(session, 'Hangzhou', { conversationId: action.chat.conversation_id }),
        ),
      );
      expect(answer(reply.events)).toBe('Chatflow answer: #ask weather in Hangzhou');
    });

    it('two session_names keep their contexts apart', async () => {
      const [a, b] = [uniqueSession('cf-a'), uniqueSession('cf-b')];
      const ca = conversationOf((await drain(await client.streamChatflow(turn(a, 'my name is Ada')))).events);
      const cb = conversationOf((await drain(await client.streamChatflow(turn(b, 'my name is Bob')))).events);
      expect(ca).toBeTruthy();
      expect(cb).toBeTruthy();
      const askA = await drain(
        await client.streamChatflow(turn(a, 'what is my name?', { conversationId: ca })),
      );
      const askB = await drain(
        await client.streamChatflow(turn(b, 'what is my name?', { conversationId: cb })),
      );
      expect(answer(askA.events)).toContain('Ada');
      expect(answer(askA.events)).not.toContain('Bob');
      expect(answer(askB.events)).toContain('Bob');
      // Another session's conversation is refused outright (no permission, or not found).
      const err = await client
        .streamChatflow(turn(b, 'what is my name?', { conversationId: ca }))
        .catch((e: unknown) => e);
      expect(['GW_COZE_AUTH', 'GW_COZE_REJECTED']).toContain((err as { code?: string }).code);
    });

    it('an unknown chatflow id is GW_COZE_REJECTED with cozeCode 4200', async () => {
      const err = await client
        .streamChatflow(turn(uniqueSession('cf'), 'hi', { workflowId: UNKNOWN }))
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'GW_COZE_REJECTED', cozeCode: 4200 });
    });
  });
});
