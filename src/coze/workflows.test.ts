// Workflow and chatflow calls over real HTTP against a canned server that replays the recorded streams:
// request paths and bodies (§5.1-5.4), sync results (§1.4 deviation), pre-flight errors (§3.5).
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CozeClient, createCozeClient } from './client.js';
import { createTokenProvider } from './token-provider.js';
import type { ChatEvent } from './types.js';
import type { WorkflowEvent } from './workflow-types.js';
import { runResultOf } from './workflows.js';

const DIR = '/work/shared/coze-fixtures';
const WORKFLOW_TEXT = readFileSync(join(DIR, 'py-workflow_run_stream_resp.txt'), 'utf8');
const blocks = WORKFLOW_TEXT.split('\n\n');
const RUN_SSE = `${[0, 1, 2, 3, 4, 5, 9].map((i) => blocks[i]).join('\n\n')}\n\n`;
const QUESTION_SSE = `${blocks[7]}\n\n${blocks[8]}\n\n`;
const CHATFLOW_SSE = readFileSync(join(DIR, 'py-workflows_chat_stream_resp.txt'), 'utf8');

type Reply = { status?: number; type: string; body: string; delayMs?: number };
const seen: { path: string; body: Record<string, unknown> }[] = [];
let replies: Record<string, Reply> = {};

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let raw = '';
  for await (const c of req) raw += c;
  const path = req.url ?? '';
  seen.push({ path, body: raw ? JSON.parse(raw) : {} });
  const r = replies[path] ?? { status: 404, type: 'application/json', body: '{"code":4000,"msg":"no"}' };
  if (r.delayMs) await new Promise((ok) => setTimeout(ok, r.delayMs));
  res.writeHead(r.status ?? 200, { 'content-type': r.type, 'x-tt-logid': 'LOGID-1' });
  res.end(r.body);
}

const server = createServer((req, res) => void handle(req, res));
let client: CozeClient;
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = createCozeClient({ baseUrl: url, tokens: createTokenProvider({ baseUrl: url, pat: 'pat_x' }) });
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  seen.length = 0;
  replies = {};
});

const sse = (body: string): Reply => ({ type: 'text/event-stream; charset=utf-8', body });
const json = (body: unknown, status = 200): Reply => ({
  status,
  type: 'application/json',
  body: JSON.stringify(body),
});

async function drain<E>(stream: AsyncIterable<E>): Promise<E[]> {
  const events: E[] = [];
  for await (const e of stream) events.push(e);
  return events;
}

describe('streamWorkflow / resumeWorkflow (§5.2, §5.3)', () => {
  it('posts the run body to /v1/workflow/stream_run and reads the recorded run', async () => {
    replies['/v1/workflow/stream_run'] = sse(RUN_SSE);
    const stream = await client.streamWorkflow({
      sessionName: 's1',
      workflowId: '7500000000000000111',
      parameters: { input: 'hi', n: 2 },
      botId: '7500000000000000001',
      ext: { user_id: 'u-1' },
    });
    expect(stream.logId).toBe('LOGID-1');
    const events: WorkflowEvent[] = await drain(stream);
    expect(events.map((e) => e.type)).toEqual([...Array<string>(6).fill('message'), 'done']);
    expect(seen[0]).toEqual({
      path: '/v1/workflow/stream_run',
      body: {
        workflow_id: '7500000000000000111',
        parameters: { input: 'hi', n: 2 },
        bot_id: '7500000000000000001',
        ext: { user_id: 'u-1' },
      },
    });
  });

  it('sends app_id and never bot_id with it (§5.1: both -> 4000)', async () => {
    replies['/v1/workflow/stream_run'] = sse(RUN_SSE);
    await drain(await client.streamWorkflow({ sessionName: 's', workflowId: 'w', appId: 'a', botId: 'b' }));
    expect(seen[0].body).toEqual({ workflow_id: 'w', app_id: 'a' });
  });

  it('reads a question as message + interrupt, and resumes at /v1/workflow/stream_resume', async () => {
    replies['/v1/workflow/stream_run'] = sse(QUESTION_SSE);
    const events = await drain(await client.streamWorkflow({ sessionName: 's', workflowId: 'w' }));
    const interrupt = events.find((e) => e.type === 'interrupt');
    if (interrupt?.type !== 'interrupt') throw new Error('no interrupt');
    replies['/v1/workflow/stream_resume'] = sse(RUN_SSE);
    const rest = await drain(
      await client.resumeWorkflow({
        sessionName: 's',
        workflowId: 'w',
        eventId: interrupt.eventId,
        interruptType: interrupt.interruptType,
        resumeData: 'Hangzhou, 2024-08-20',
      }),
    );
    expect(rest.at(-1)).toEqual({ type: 'done' });
    expect(seen[1]).toEqual({
      path: '/v1/workflow/stream_resume',
      body: {
        workflow_id: 'w',
        event_id: '7404830425073352713/2769808280134765896',
        interrupt_type: 2,
        resume_data: 'Hangzhou, 2024-08-20',
      },
    });
  });

  it('a pre-flight 4200 (never published) is GW_COZE_REJECTED with cozeCode and log id', async () => {
    replies['/v1/workflow/stream_run'] = json({ code: 4200, msg: 'workflow not published' });
    const err = await client.streamWorkflow({ sessionName: 's', workflowId: 'w' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'GW_COZE_REJECTED', cozeCode: 4200, logId: 'LOGID-1' });
  });

  it('a pre-flight 4100 is GW_COZE_AUTH', async () => {
    replies['/v1/workflow/stream_resume'] = json({ code: 4100, msg: 'authentication is invalid' }, 401);
    const err = await client
      .resumeWorkflow({
        sessionName: 's',
        workflowId: 'w',
        eventId: 'a/b',
        interruptType: 2,
        resumeData: 'x',
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'GW_COZE_AUTH', cozeCode: 4100 });
  });
});

describe('runWorkflow / resumeWorkflowSync (§5.1, §5.3)', () => {
  const RESULT = {
    code: 0,
    msg: '',
    data: '{"output":"Beijing is at 116.40E, 39.90N"}',
    debug_url: 'https://www.coze.cn/work_flow?execute_id=1&space_id=2&workflow_id=3',
    usage: { input_count: 50, output_count: 100, token_count: 150 },
    execute_id: '7413647890307280000',
    detail: { logid: 'BODYLOG' },
  };

  it('reads the top-level result fields and parses `data`', async () => {
    replies['/v1/workflow/run'] = json(RESULT);
    const r = await client.runWorkflow({
      sessionName: 's',
      workflowId: 'w',
      parameters: { city: 'Beijing' },
    });
    expect(r).toEqual({
      output: '{"output":"Beijing is at 116.40E, 39.90N"}',
      outputs: { output: 'Beijing is at 116.40E, 39.90N' },
      debugUrl: RESULT.debug_url,
      usage: RESULT.usage,
      executeId: '7413647890307280000',
      logId: 'LOGID-1',
    });
    expect(seen[0]).toEqual({
      path: '/v1/workflow/run',
      body: { workflow_id: 'w', parameters: { city: 'Beijing' } },
    });
  });

  it('returns the interrupt of a paused run, and resumes at /v1/workflows/resume (plural)', async () => {
    replies['/v1/workflow/run'] = json({
      code: 0,
      msg: '',
      interrupt_data: { event_id: '1/2', type: 2, data: '{"content":"Which city?"}' },
      execute_id: '1',
    });
    const paused = await client.runWorkflow({ sessionName: 's', workflowId: 'w' });
    expect(paused.output).toBe('');
    expect(paused.interrupt).toEqual({ eventId: '1/2', interruptType: 2, data: '{"content":"Which city?"}' });
    replies['/v1/workflows/resume'] = json(RESULT);
    const done = await client.resumeWorkflowSync({
      sessionName: 's',
      workflowId: 'w',
      eventId: '1/2',
      interruptType: 2,
      resumeData: 'Beijing',
    });
    expect(done.outputs).toEqual({ output: 'Beijing is at 116.40E, 39.90N' });
    expect(seen[1].path).toBe('/v1/workflows/resume');
  });

  it('outlives the 30 s JSON limit by default, and honours timeoutMs', async () => {
    replies['/v1/workflow/run'] = { ...json(RESULT), delayMs: 300 };
    const hasty = createCozeClient({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      tokens: createTokenProvider({ baseUrl: 'http://127.0.0.1:1', pat: 'pat_x' }),
      timeouts: { requestMs: 100, headersMs: 100 },
    });
    expect((await hasty.runWorkflow({ sessionName: 's', workflowId: 'w' })).executeId).toBeTruthy();
    await expect(
      hasty.runWorkflow({ sessionName: 's', workflowId: 'w', timeoutMs: 100 }),
    ).rejects.toMatchObject({
      code: 'GW_UPSTREAM_TIMEOUT',
    });
  });

  it('a business error is mapped like chat (4200 -> GW_COZE_REJECTED)', async () => {
    replies['/v1/workflow/run'] = json({ code: 4200, msg: 'never published' });
    await expect(client.runWorkflow({ sessionName: 's', workflowId: 'w' })).rejects.toMatchObject({
      code: 'GW_COZE_REJECTED',
      cozeCode: 4200,
    });
  });
});

describe('runResultOf', () => {
  it('keeps plain-text data without `outputs`, and tolerates an object', () => {
    expect(runResultOf({ json: { code: 0, data: 'plain' } })).toEqual({ output: 'plain' });
    expect(runResultOf({ json: { code: 0, data: { a: 1 } } })).toMatchObject({
      output: '{"a":1}',
      outputs: { a: 1 },
    });
  });

  it('a result without data or interrupt is GW_UPSTREAM_BAD_RESPONSE', () => {
    expect(() => runResultOf({ json: { code: 0 }, logId: 'L' })).toThrow(
      expect.objectContaining({ code: 'GW_UPSTREAM_BAD_RESPONSE', logId: 'L' }),
    );
    expect(() => runResultOf({ json: { code: 0, data: 5 } })).toThrow(
      expect.objectContaining({ code: 'GW_UPSTREAM_BAD_RESPONSE' }),
    );
  });
});

describe('streamChatflow (§5.4)', () => {
  it('posts the chatflow body to /v1/workflows/chat and yields chat events ending in done with debugUrl', async () => {
    replies['/v1/workflows/chat'] = sse(CHATFLOW_SSE);
    const events: ChatEvent[] = await drain(
      await client.streamChatflow({
        sessionName: 's',
        workflowId: 'wf',
        appId: 'app1',
        userId: 'u-9',
        message: 'How are you?',
        conversationId: 'c1',
        parameters: { lang: 'en' },
        customVariables: { x: 'y' },
      }),
    );
    expect(events.at(-1)).toMatchObject({ type: 'done', debugUrl: expect.stringContaining('execute_1111') });
    expect(seen[0]).toEqual({
      path: '/v1/workflows/chat',
      body: {
        workflow_id: 'wf',
        additional_messages: [{ role: 'user', content: 'How are you?', content_type: 'text' }],
        parameters: { lang: 'en' },
        app_id: 'app1',
        conversation_id: 'c1',
        ext: { user_id: 'u-9' },
      },
    });
  });

  it('sends bot_id when there is no app', async () => {
    replies['/v1/workflows/chat'] = sse(CHATFLOW_SSE);
    await drain(
      await client.streamChatflow({
        sessionName: 's',
        workflowId: 'wf',
        botId: 'b1',
        userId: '',
        message: 'x',
      }),
    );
    expect(seen[0].body).toEqual({
      workflow_id: 'wf',
      additional_messages: [{ role: 'user', content: 'x', content_type: 'text' }],
      bot_id: 'b1',
    });
  });
});
