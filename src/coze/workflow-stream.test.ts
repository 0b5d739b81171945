// WorkflowStream over an in-memory body: end rules, lost events, PING and the idle clock (§5.2, §8.2).
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createWorkflowStream } from './workflow-events.js';
import type { WorkflowEvent, WorkflowStream } from './workflow-types.js';

const msg = (content: string, seq = 0) =>
  JSON.stringify({ content, node_title: 'Message', node_seq_id: String(seq), node_is_finish: false });
const ev = (id: number, name: string, data: string) => `id: ${id}\nevent: ${name}\ndata: ${data}\n\n`;
const PING = '{"content":"{}"}';

function streamOf(chunks: string[], o: { firstEventMs?: number; idleMs?: number } = {}) {
  const body = new PassThrough();
  const stream = createWorkflowStream({
    body,
    logId: 'LOG1',
    firstEventMs: o.firstEventMs ?? 5_000,
    idleMs: o.idleMs ?? 5_000,
    cancel: () => {},
  });
  for (const c of chunks) body.write(c);
  return { body, stream };
}

async function drain(stream: WorkflowStream): Promise<{ events: WorkflowEvent[]; error?: unknown }> {
  const events: WorkflowEvent[] = [];
  try {
    for await (const e of stream) events.push(e);
    return { events };
  } catch (error) {
    return { events, error };
  }
}

const types = (events: WorkflowEvent[]) => events.map((e) => e.type);

describe('WorkflowStream', () => {
  it('yields messages and pings up to Done, then reads the body to its end', async () => {
    const { body, stream } = streamOf([
      ev(0, 'Message', msg('Hel')),
      ev(1, 'PING', PING),
      ev(2, 'Message', msg('lo', 1)),
      ev(3, 'Done', '{"debug_url":"https://d"}'),
    ]);
    const { events, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(types(events)).toEqual(['message', 'ping', 'message', 'done']);
    expect(events.at(-1)).toEqual({ type: 'done', debugUrl: 'https://d' });
    // What follows the last event is drained, so the connection can be used again.
    body.end('\r\n');
    await expect.poll(() => body.destroyed).toBe(true);
    expect(body.readableEnded).toBe(true);
  });

  it('a body ending without Done, Error or Interrupt is GW_UPSTREAM_TRUNCATED after what arrived', async () => {
    const { body, stream } = streamOf([ev(0, 'Message', msg('par')), ev(1, 'PING', PING)]);
    body.end();
    const { events, error } = await drain(stream);
    expect(types(events)).toEqual(['message', 'ping']);
    expect(error).toMatchObject({ code: 'GW_UPSTREAM_TRUNCATED', logId: 'LOG1' });
  });

  it('an event cut in the middle by the end of the body is truncation', async () => {
    const { body, stream } = streamOf([ev(0, 'Message', msg('a')), 'id: 1\nevent: Message\ndata: {"cont']);
    body.end();
    const { events, error } = await drain(stream);
    expect(events).toHaveLength(1);
    expect(error).toMatchObject({ code: 'GW_UPSTREAM_TRUNCATED' });
  });

  it('a gap in the ids is GW_UPSTREAM_BAD_RESPONSE after yielding what came before it', async () => {
    const { body, stream } = streamOf([
      ev(0, 'Message', msg('a')),
      ev(1, 'Message', msg('b', 1)),
      ev(3, 'Message', msg('d', 3)),
      ev(4, 'Done', '{}'),
    ]);
    body.end();
    const { events, error } = await drain(stream);
    expect(types(events)).toEqual(['message', 'message']);
    expect(error).toMatchObject({ code: 'GW_UPSTREAM_BAD_RESPONSE', logId: 'LOG1' });
  });

  it('a gap on the very last event is still lost events, not truncation', async () => {
    const { body, stream } = streamOf([ev(0, 'Message', msg('a')), 'id: 2\nevent: Done\ndata: {}']);
    body.end();
    expect((await drain(stream)).error).toMatchObject({ code: 'GW_UPSTREAM_BAD_RESPONSE' });
  });

  it('ends normally after Error, and after Interrupt (even with a PING after it)', async () => {
    const a = streamOf([ev(0, 'Error', '{"error_code":4000,"error_message":"Request parameter error"}')]);
    a.body.end();
    expect(await drain(a.stream)).toEqual({
      events: [{ type: 'error', code: 4000, message: 'Request parameter error' }],
    });
    const b = streamOf([
      ev(0, 'Message', msg('Which city?')),
      ev(1, 'Interrupt', '{"interrupt_data":{"event_id":"1/2","type":2,"data":""},"node_title":"Question"}'),
      ev(2, 'PING', PING),
    ]);
    b.body.end();
    const { events, error } = await drain(b.stream);
    expect(error).toBeUndefined();
    expect(types(events)).toEqual(['message', 'interrupt', 'ping']);
  });

  it('a stream without id lines is read without sequence checks', async () => {
    const { body, stream } = streamOf(['event: Message\ndata: {"content":"x"}\n\nevent: Done\ndata: {}\n\n']);
    body.end();
    expect(types((await drain(stream)).events)).toEqual(['message', 'done']);
  });

  it('PING heartbeats keep a slow run alive past the idle limit', async () => {
    const { body, stream } = streamOf([ev(0, 'Message', msg('a'))], { idleMs: 80 });
    let id = 1;
    const beat = setInterval(() => body.write(ev(id++, 'PING', PING)), 30);
    setTimeout(() => {
      clearInterval(beat);
      body.write(ev(id++, 'Done', '{}'));
    }, 250);
    const { events, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(events.filter((e) => e.type === 'ping').length).toBeGreaterThan(3);
    expect(events.at(-1)).toEqual({ type: 'done' });
  });

  it('without heartbeats the idle limit is GW_UPSTREAM_TIMEOUT', async () => {
    const { stream } = streamOf([ev(0, 'Message', msg('a'))], { idleMs: 50 });
    const { events, error } = await drain(stream);
    expect(events).toHaveLength(1);
    expect(error).toMatchObject({ code: 'GW_UPSTREAM_TIMEOUT', logId: 'LOG1' });
  });

  it('maps the legacy bare JSON error body (§3.5)', async () => {
    const { body, stream } = streamOf(['{"code":4200,"msg":"workflow not published"}']);
    body.end();
    const { events, error } = await drain(stream);
    expect(events).toEqual([]);
    expect(error).toMatchObject({ code: 'GW_COZE_REJECTED', cozeCode: 4200 });
  });

  it('abort() ends the iteration quietly', async () => {
    const { body, stream } = streamOf([ev(0, 'Message', msg('a'))]);
    const events: WorkflowEvent[] = [];
    for await (const e of stream) {
      events.push(e);
      stream.abort();
    }
    expect(events).toHaveLength(1);
    expect(body.destroyed).toBe(true);
  });
});
