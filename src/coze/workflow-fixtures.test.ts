// The recorded workflow (§5.2) and chatflow (§5.4) streams: decoded whole, split at every single point
// and at random points, and read as whole streams with their end rules.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createChatStream } from './chat-stream.js';
import { everySplit, random, randomSplit } from './splits.js';
import { createSseDecoder, type SseItem } from './sse.js';
import type { ChatEvent } from './types.js';
import { createWorkflowStream, toWorkflowEvent } from './workflow-events.js';
import type { WorkflowEvent } from './workflow-types.js';

const DIR = '/work/shared/coze-fixtures';
const WORKFLOW = new Uint8Array(readFileSync(join(DIR, 'py-workflow_run_stream_resp.txt')));
const CHATFLOW = new Uint8Array(readFileSync(join(DIR, 'py-workflows_chat_stream_resp.txt')));
const enc = new TextEncoder();

function decode(chunks: Uint8Array[]): { id?: string; event: WorkflowEvent }[] {
  const d = createSseDecoder();
  const out: { id?: string; event: WorkflowEvent }[] = [];
  const take = (items: SseItem[]) => {
    for (const i of items) {
      if (i.kind !== 'event') throw new Error(`unexpected ${i.kind}`);
      out.push({ id: i.id, event: toWorkflowEvent(i.event, i.data) });
    }
  };
  for (const c of chunks) take(d.push(c));
  take(d.end());
  return out;
}

const joke = ['msg', '为', '什么小明要带一把尺子去看电影因', '为他听说电影很长，怕', '坐不下！'];
const chunk = (content: string, seq: number, finish = false): WorkflowEvent => ({
  type: 'message',
  content,
  nodeTitle: 'Message',
  nodeSeqId: String(seq),
  nodeIsFinish: finish,
});
const END_NODE: WorkflowEvent = {
  type: 'message',
  content: '{"output":"为什么小明要带一把尺子去看电影？因为他听说电影很长，怕坐不下！"}',
  nodeTitle: '', // §5.2: the end node's final message
  nodeSeqId: '0',
  nodeIsFinish: true,
};
const QUESTION: WorkflowEvent = {
  type: 'message',
  content: '请问你想查看哪个城市、哪一天的天气呢',
  nodeTitle: '问答',
  nodeSeqId: '0',
  nodeIsFinish: true,
  contentType: 'text',
};
const INTERRUPT: WorkflowEvent = {
  type: 'interrupt',
  eventId: '7404830425073352713/2769808280134765896',
  interruptType: 2,
  data: '',
  nodeTitle: '问答',
};
const ERROR: WorkflowEvent = { type: 'error', code: 4000, message: 'Request parameter error' };

describe('py-workflow_run_stream_resp.txt, decoded (§5.2 framing and events)', () => {
  const whole = decode([WORKFLOW]);

  it('reads every event type with its id: Message chunks, end node, Error, Interrupt, Done', () => {
    expect(whole).toEqual([
      ...joke.map((c, i) => ({ id: String(i), event: chunk(c, i, i === joke.length - 1) })),
      { id: '5', event: END_NODE },
      { id: '0', event: ERROR },
      { id: '0', event: QUESTION },
      { id: '1', event: INTERRUPT },
      { id: '6', event: { type: 'done' } }, // `{}`, and no trailing newline (§3.3 rule 4)
    ]);
  });

  it('the end-node content is the JSON of the outputs', () => {
    const end = whole[5].event;
    expect(end.type === 'message' && JSON.parse(end.content)).toEqual({
      output: '为什么小明要带一把尺子去看电影？因为他听说电影很长，怕坐不下！',
    });
  });

  it('decodes identically when split at every single point', () => {
    for (const split of everySplit(WORKFLOW)) expect(decode(split)).toEqual(whole);
  });

  it('decodes identically when split at random points (inside UTF-8 characters too)', () => {
    const rnd = random(5);
    for (let round = 0; round < 50; round++) {
      expect(decode(randomSplit(WORKFLOW, rnd, round % 2 === 0 ? 3 : 64))).toEqual(whole);
    }
  });

  it('decodes identically with \\r\\n line endings', () => {
    const crlf = enc.encode(new TextDecoder().decode(WORKFLOW).replaceAll('\n', '\r\n'));
    expect(decode(randomSplit(crlf, random(9), 7))).toEqual(whole);
  });
});

/** The fixture concatenates recorded samples; block indexes of the three responses in it. */
const blocks = new TextDecoder().decode(WORKFLOW).split('\n\n');
const sample = (...idx: number[]) => enc.encode(`${idx.map((i) => blocks[i]).join('\n\n')}\n\n`);
const SAMPLES = {
  run: sample(0, 1, 2, 3, 4, 5, 9), // ids 0-5 then Done id 6
  error: sample(6),
  question: sample(7, 8),
};

async function readWorkflow(chunks: Uint8Array[]) {
  const stream = createWorkflowStream({
    body: Readable.from(chunks),
    logId: 'LOG',
    firstEventMs: 5_000,
    idleMs: 5_000,
    cancel: () => {},
  });
  const events: WorkflowEvent[] = [];
  try {
    for await (const e of stream) events.push(e);
    return { events };
  } catch (error) {
    return { events, error };
  }
}

describe('the recorded workflow responses, read as streams', () => {
  it('a run: five chunks, the end node, then done', async () => {
    const { events, error } = await readWorkflow(randomSplit(SAMPLES.run, random(1), 5));
    expect(error).toBeUndefined();
    expect(events).toEqual([...joke.map((c, i) => chunk(c, i, i === 4)), END_NODE, { type: 'done' }]);
  });

  it('an Error event ends the stream normally (no Done follows it)', async () => {
    expect(await readWorkflow([SAMPLES.error])).toEqual({ events: [ERROR] });
  });

  it('a question: the question message, then the interrupt ends the stream normally', async () => {
    expect(await readWorkflow(randomSplit(SAMPLES.question, random(2), 4))).toEqual({
      events: [QUESTION, INTERRUPT],
    });
  });

  it('the concatenation restarts its ids: read as lost events after the first response', async () => {
    const { events, error } = await readWorkflow([WORKFLOW]);
    expect(events).toHaveLength(6);
    expect(error).toMatchObject({ code: 'GW_UPSTREAM_BAD_RESPONSE', logId: 'LOG' });
  });
});

describe('py-workflows_chat_stream_resp.txt, read as a chatflow stream (§5.4)', () => {
  async function readChatflow(chunks: Uint8Array[]) {
    const stream = createChatStream({
      body: Readable.from(chunks),
      firstEventMs: 5_000,
      idleMs: 5_000,
      cancel: () => {},
    });
    const events: ChatEvent[] = [];
    for await (const e of stream) events.push(e);
    return events;
  }
  const DEBUG_URL =
    'https://www.coze.cn/work_flow?execute_id=execute_1111&space_id=space_111&workflow_id=workflow_1111';

  it('yields chat events, the answer, and ends with done carrying the debug_url', async () => {
    const events = await readChatflow([CHATFLOW]);
    expect(events.map((e) => (e.type === 'chat' || e.type === 'message' ? e.event : e.type))).toEqual([
      'conversation.chat.created',
      'conversation.chat.in_progress',
      'conversation.message.delta',
      'conversation.message.delta',
      'conversation.message.delta',
      'conversation.message.completed',
      'conversation.message.completed',
      'conversation.chat.completed',
      'done',
    ]);
    const answer = events
      .map((e) => (e.type === 'message' && e.event === 'conversation.message.delta' ? e.message.content : ''))
      .join('');
    expect(answer).toBe("I'm fine, thank you. How about you?");
    expect(events.at(-1)).toEqual({ type: 'done', debugUrl: DEBUG_URL });
  });

  it('reads identically when split at every single point and at random points', async () => {
    const whole = await readChatflow([CHATFLOW]);
    for (const split of everySplit(CHATFLOW)) expect(await readChatflow(split)).toEqual(whole);
    const rnd = random(11);
    for (let round = 0; round < 30; round++) {
      expect(await readChatflow(randomSplit(CHATFLOW, rnd, round % 2 === 0 ? 3 : 64))).toEqual(whole);
    }
  });
});
