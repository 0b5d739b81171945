import { existsSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_APP_ID, DEFAULT_CHATFLOW_ID, DEFAULT_WORKFLOW_ID, type Simulator } from './index.js';
import {
  call,
  PAT,
  parseWorkflowFrames,
  readWorkflowStream,
  request,
  startTestSimulator,
  type WorkflowEvent,
} from './testing.js';

const FIXTURE = new URL('../../../shared/coze-fixtures/py-workflow_run_stream_resp.txt', import.meta.url);
const WF = DEFAULT_WORKFLOW_ID;

let sim: Simulator;
beforeAll(async () => {
  sim = await startTestSimulator({ pats: [PAT, 'pat_two'] });
});
afterAll(() => sim.close());
afterEach(() => sim.resetFaults());

type Data = Record<string, unknown>;
const parsed = (events: WorkflowEvent[]): Data[] => events.map((e) => JSON.parse(e.data) as Data);
/** The event_id of a stream's Interrupt event. */
const eventIdOf = (events: WorkflowEvent[]): string => {
  const interrupt = events.find((e) => e.event === 'Interrupt');
  return (
    (JSON.parse(interrupt?.data ?? '{}') as { interrupt_data?: { event_id?: string } }).interrupt_data
      ?.event_id ?? ''
  );
};
const keys = (d: Data | undefined): string[] => Object.keys(d ?? {}).sort();

function streamRun(input: unknown, extra: Data = {}, token?: string): Promise<Response> {
  return request(sim, '/v1/workflow/stream_run', {
    body: { workflow_id: WF, parameters: { USER_INPUT: input }, ...extra },
    token,
  });
}

function streamResume(eventId: string, resumeData: string): Promise<Response> {
  return request(sim, '/v1/workflow/stream_resume', {
    body: { workflow_id: WF, event_id: eventId, interrupt_type: 2, resume_data: resumeData },
  });
}

/** The streamed answer: the non-end Message pieces of node "Message". */
function pieces(events: WorkflowEvent[]): string {
  return parsed(events.filter((e) => e.event === 'Message'))
    .filter((d) => d.node_title === 'Message')
    .map((d) => d.content)
    .join('');
}

describe('POST /v1/workflow/stream_run', () => {
  it('frames events like the recorded stream: id/event/data with spaces, ids from 0, JSON data', async () => {
    const s = await readWorkflowStream(await streamRun('hello'));
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(s.raw).toMatch(/^id: 0\nevent: Message\ndata: \{/);
    expect(s.raw.endsWith('}\n\n')).toBe(true);
    expect(s.events.map((e) => e.id)).toEqual(s.events.map((_, i) => i));
    const data = parsed(s.events); // every event, Done included, carries JSON
    const names = s.events.map((e) => e.event);
    expect(names.at(-1)).toBe('Done');
    expect(names.slice(0, -1).every((n) => n === 'Message')).toBe(true);
    expect(pieces(s.events)).toBe('Workflow answer: hello');
    const end = data.at(-2);
    expect(end).toMatchObject({ node_title: '', node_is_finish: true, node_seq_id: '0' });
    expect(JSON.parse(String(end?.content))).toEqual({ output: 'Workflow answer: hello' });
    const streamed = data.slice(0, -2);
    expect(streamed.map((d) => d.node_seq_id)).toEqual(streamed.map((_, i) => String(i)));
    expect(streamed.map((d) => d.node_is_finish)).toEqual(streamed.map((_, i) => i === streamed.length - 1));
    expect(String(data.at(-1)?.debug_url)).toMatch(/^https:\/\/www\.coze\.cn\/work_flow\?execute_id=\d{19}&/);
    expect(s.raw).toContain('\\u0026space_id='); // Go-style escaping, as recorded

    if (existsSync(FIXTURE)) {
      const fixture = parseWorkflowFrames(readFileSync(FIXTURE, 'utf8').split('\n'));
      const fx = parsed(fixture);
      expect(fixture[0]?.id).toBe(0);
      expect(keys(streamed[0])).toEqual(keys(fx[0])); // a streamed piece
      expect(keys(end)).toEqual(keys(fx[5])); // the end node's message
    }
  });

  it('accepts parameters as a JSON string and the `input` parameter', async () => {
    const s = await readWorkflowStream(
      await request(sim, '/v1/workflow/stream_run', {
        body: { workflow_id: WF, parameters: JSON.stringify({ input: 'as string' }) },
      }),
    );
    expect(pieces(s.events)).toBe('Workflow answer: as string');
  });

  it('#fail ends with an Error event and no Done', async () => {
    const s = await readWorkflowStream(await streamRun('boom #fail'));
    expect(s.events.map((e) => e.event)).toEqual(['Message', 'Message', 'Error']);
    expect(parsed(s.events).at(-1)).toEqual({ error_code: 5000, error_message: expect.any(String) });
  });

  it('sends PINGs (JSON data, numbered like other events) while a #slow run is silent', async () => {
    const s = await readWorkflowStream(await streamRun('#slow'));
    const pings = s.events.filter((e) => e.event === 'PING');
    expect(pings.length).toBeGreaterThan(0);
    for (const p of pings) expect(JSON.parse(p.data)).toEqual({ content: '{}' });
    expect(s.events.map((e) => e.id)).toEqual(s.events.map((_, i) => i));
    expect(pieces(s.events)).toBe('Workflow answer: #slow');
    expect(s.events.at(-1)?.event).toBe('Done');
  });

  it('has a PING interval knob (a first-event delay then shows PINGs first; 0 = none)', async () => {
    sim.setFaults({ workflowPingMs: 10, firstEventDelayMs: 120 });
    const s = await readWorkflowStream(await streamRun('knob'));
    expect(s.events[0]?.event).toBe('PING');
    sim.setFaults({ workflowPingMs: 0 });
    const quiet = await readWorkflowStream(await streamRun('knob'));
    expect(quiet.events.some((e) => e.event === 'PING')).toBe(false);
  });
});

describe('interrupts and resume', () => {
  it('#ask interrupts at the question; stream_resume restarts ids at 0 and answers', async () => {
    const s = await readWorkflowStream(await streamRun('weather #ask'));
    expect(s.events.map((e) => [e.id, e.event])).toEqual([
      [0, 'Message'],
      [1, 'Interrupt'],
    ]);
    const [question, interrupt] = parsed(s.events) as [Data, { interrupt_data: Data; node_title: string }];
    expect(question).toMatchObject({ content: 'Which city?', node_title: 'Question', node_is_finish: true });
    expect(interrupt.node_title).toBe('Question');
    expect(interrupt.interrupt_data).toEqual({ data: '', event_id: expect.any(String), type: 2 });
    const eventId = String(interrupt.interrupt_data.event_id);
    expect(eventId).toMatch(/^\d{19}\/\d+$/);

    const before = sim.stats().resumes;
    const r = await readWorkflowStream(await streamResume(eventId, 'Paris'));
    expect(r.events[0]?.id).toBe(0);
    expect(pieces(r.events)).toBe('Workflow answer: weather #ask in Paris');
    expect(r.events.at(-1)?.event).toBe('Done');
    expect(sim.stats().resumes).toBe(before + 1);

    const again = await call(sim, '/v1/workflow/stream_resume', {
      body: { workflow_id: WF, event_id: eventId, interrupt_type: 2, resume_data: 'Rome' },
    });
    expect(again.headers.get('content-type')).toMatch(/^application\/json/);
    expect(again.json.code).toBe(4000);
    const unknown = await call(sim, '/v1/workflow/stream_resume', {
      body: { workflow_id: WF, event_id: '7000000000000000000/1', interrupt_type: 2, resume_data: 'x' },
    });
    expect(unknown.json.code).toBe(4000);
  });

  it('an empty answer asks again with the same event_id; at most 3 resumes per question', async () => {
    const s = await readWorkflowStream(await streamRun('#ask'));
    const eventId = eventIdOf(s.events);
    for (let i = 0; i < 3; i++) {
      const r = await readWorkflowStream(await streamResume(eventId, ''));
      expect(r.events.map((e) => e.event)).toEqual(['Message', 'Interrupt']);
      expect(eventIdOf(r.events)).toBe(eventId);
    }
    const fourth = await call(sim, '/v1/workflow/stream_resume', {
      body: { workflow_id: WF, event_id: eventId, interrupt_type: 2, resume_data: 'Oslo' },
    });
    expect(fourth.json.code).toBe(4000);
  });
});

describe('POST /v1/workflow/run', () => {
  it('answers the sync shape with top-level fields and data as a string', async () => {
    const r = await call(sim, '/v1/workflow/run', {
      body: { workflow_id: WF, parameters: { input: 'sync' } },
    });
    const body = r.json as unknown as Data;
    expect(keys(body)).toEqual(['code', 'data', 'debug_url', 'detail', 'execute_id', 'msg', 'usage']);
    expect(body.code).toBe(0);
    expect(typeof body.data).toBe('string');
    expect(JSON.parse(String(body.data))).toEqual({ output: 'Workflow answer: sync' });
    expect(body.usage).toMatchObject({ token_count: expect.any(Number), input_count: expect.any(Number) });
  });

  it('returns interrupt_data on #ask; /v1/workflows/resume answers with the same shape', async () => {
    const r = await call(sim, '/v1/workflow/run', {
      body: { workflow_id: WF, parameters: { input: 'go #ask' } },
    });
    const body = r.json as unknown as Data & {
      interrupt_data: { event_id: string; type: number; data: string };
    };
    expect(body.data).toBe('');
    expect(body.interrupt_data.type).toBe(2);
    expect(body.interrupt_data.event_id.startsWith(`${body.execute_id}/`)).toBe(true);
    expect(JSON.parse(body.interrupt_data.data)).toEqual({ content_type: 'text', content: 'Which city?' });
    const resumed = await call(sim, '/v1/workflows/resume', {
      body: {
        workflow_id: WF,
        event_id: body.interrupt_data.event_id,
        interrupt_type: 2,
        resume_data: 'Lima',
      },
    });
    const rb = resumed.json as unknown as Data;
    expect(rb).toMatchObject({ code: 0, execute_id: body.execute_id });
    expect(JSON.parse(String(rb.data))).toEqual({ output: 'Workflow answer: go #ask in Lima' });
    expect(rb.interrupt_data).toBeUndefined();
  });

  it('reports a failing run with its code', async () => {
    const r = await call(sim, '/v1/workflow/run', {
      body: { workflow_id: WF, parameters: { input: '#fail' } },
    });
    expect(r.json).toMatchObject({ code: 5000, data: '' });
  });

  it('runs async: execute_id + debug_url, then the run history goes Running → Success', async () => {
    const r = await call(sim, '/v1/workflow/run', {
      body: {
        workflow_id: WF,
        parameters: { input: 'later #slow' },
        is_async: true,
        ext: { user_id: 'u-9' },
      },
    });
    const body = r.json as unknown as Data;
    expect(keys(body)).toEqual(['code', 'debug_url', 'detail', 'execute_id', 'msg']);
    const path = `/v1/workflows/${WF}/run_histories/${String(body.execute_id)}`;
    type History = Data & { execute_status: string; output: string };
    const first = (await call(sim, path)).json.data as unknown as History[];
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      execute_status: 'Running',
      run_mode: 2,
      connector_uid: 'u-9',
      output: '',
    });
    let last: History | undefined = first[0];
    while (last?.execute_status === 'Running') {
      await new Promise((resolve) => setTimeout(resolve, 50));
      last = ((await call(sim, path)).json.data as unknown as History[])[0];
    }
    expect(last).toMatchObject({ execute_status: 'Success', execute_id: body.execute_id, error_code: '' });
    expect(JSON.parse(String(last?.output))).toEqual({ output: 'Workflow answer: later #slow' });
    const other = await call(sim, path, { token: 'pat_two' });
    expect(other.json.code).toBe(4101);
    const missing = await call(sim, `/v1/workflows/${WF}/run_histories/7000000000000000000`);
    expect(missing.json.code).toBe(4200);
  });
});

describe('workflow request checks', () => {
  it('answers 4200 for unknown ids, 4000 for bot_id with app_id, 4100 without a valid token', async () => {
    const unknown = await call(sim, '/v1/workflow/stream_run', {
      body: { workflow_id: '7000000000000000001' },
    });
    expect(unknown.headers.get('content-type')).toMatch(/^application\/json/);
    expect(unknown.json.code).toBe(4200);
    expect(
      (await call(sim, '/v1/workflow/run', { body: { workflow_id: '7000000000000000001' } })).json.code,
    ).toBe(4200);
    const chatflowId = await call(sim, '/v1/workflow/run', { body: { workflow_id: DEFAULT_CHATFLOW_ID } });
    expect(chatflowId.json.code).toBe(4000);
    const both = await call(sim, '/v1/workflow/stream_run', {
      body: { workflow_id: WF, bot_id: '7500000000000000001', app_id: DEFAULT_APP_ID },
    });
    expect(both.json.code).toBe(4000);
    const badApp = await call(sim, '/v1/workflow/run', {
      body: { workflow_id: WF, app_id: '7000000000000000009' },
    });
    expect(badApp.json.code).toBe(4200);
    const badParams = await call(sim, '/v1/workflow/run', { body: { workflow_id: WF, parameters: '{nope' } });
    expect(badParams.json.code).toBe(4000);
    const noAuth = await call(sim, '/v1/workflow/stream_run', {
      body: { workflow_id: WF },
      token: 'pat_nope',
    });
    expect(noAuth.status).toBe(401);
    expect(noAuth.json).toMatchObject({ code: 4100, msg: 'authentication is invalid' });
    expect((await call(sim, `/v1/workflows/${WF}/run_histories/1`, { token: null })).json.code).toBe(4100);
  });

  it('counts runs and resumes', () => {
    expect(sim.stats().workflowRuns).toBeGreaterThan(5);
    expect(sim.stats().resumes).toBeGreaterThan(3);
  });
});
