// ChatStream over an in-memory body: end-of-stream rules (§3.4 note), errors, timeouts, abort.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { createChatStream } from './chat-stream.js';
import { answerText, drain } from './stream-testing.js';
import type { ChatEvent } from './types.js';

const chat = (status: string) => JSON.stringify({ id: 'c1', conversation_id: 'v1', status });
const delta = (text: string) =>
  JSON.stringify({
    id: 'm1',
    conversation_id: 'v1',
    role: 'assistant',
    type: 'answer',
    content: text,
    content_type: 'text',
  });
const ev = (name: string, data: string) => `event:${name}\ndata:${data}\n\n`;

function streamOf(chunks: string[], o: { firstEventMs?: number; idleMs?: number } = {}) {
  const body = new PassThrough();
  let cancelled = 0;
  let released = 0;
  const stream = createChatStream({
    body,
    logId: 'LOG1',
    firstEventMs: o.firstEventMs ?? 5_000,
    idleMs: o.idleMs ?? 5_000,
    cancel: () => cancelled++,
    release: () => released++,
  });
  for (const c of chunks) body.write(c);
  return { body, stream, cancelled: () => cancelled, released: () => released };
}

describe('ChatStream', () => {
  it('yields events up to done and closes the body, without aborting the request', async () => {
    const { body, stream, cancelled, released } = streamOf([
      ev('conversation.chat.created', chat('created')),
      ev('conversation.message.delta', delta('Hel')),
      ev('conversation.message.delta', delta('lo')),
      ev('conversation.chat.completed', chat('completed')),
      ev('done', '"[DONE]"'),
    ]);
    const { events, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(answerText(events)).toBe('Hello');
    expect(events.at(-1)).toEqual({ type: 'done' });
    expect(stream.logId).toBe('LOG1');
    // A stream whose last event came is released, not aborted (an abort would cost the
    // connection), and what is left of its body is drained.
    expect(cancelled()).toBe(0);
    expect(released()).toBe(1);
    body.end('\r\n');
    await expect.poll(() => body.destroyed).toBe(true);
    expect(body.readableEnded).toBe(true);
  });

  it('destroys a body that does not end within a second of the last event', async () => {
    const { body, stream, cancelled } = streamOf([
      ev('conversation.chat.completed', chat('completed')),
      ev('done', '"[DONE]"'),
    ]);
    const { events, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(events.at(-1)).toEqual({ type: 'done' });
    expect(body.destroyed).toBe(false);
    await expect.poll(() => body.destroyed, { timeout: 3000 }).toBe(true);
    expect(body.readableEnded).toBe(false);
    expect(cancelled()).toBe(0);
  });

  it('aborts the request and releases once when the reader stops early', async () => {
    const { body, stream, cancelled, released } = streamOf([
      ev('conversation.chat.created', chat('created')),
      ev('conversation.message.delta', delta('Hel')),
    ]);
    for await (const e of stream) if (e.type === 'message') break;
    expect(body.destroyed).toBe(true);
    expect(cancelled()).toBe(1);
    expect(released()).toBe(1);
  });

  it('throws GW_UPSTREAM_TRUNCATED after yielding the partial answer when the body ends before done', async () => {
    const { body, stream } = streamOf([
      ev('conversation.message.delta', delta('par')),
      ev('conversation.message.delta', delta('tial')),
    ]);
    body.end();
    const { events, error } = await drain(stream);
    expect(answerText(events)).toBe('partial');
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'GW_UPSTREAM_TRUNCATED', logId: 'LOG1' });
  });

  it('reads an event cut in the middle as truncation, not as a bad response', async () => {
    const { body, stream } = streamOf([
      ev('conversation.message.delta', delta('a')),
      'event:conversation.message.delta\ndata:{"id":"m1","con',
    ]);
    body.end();
    const { events, error } = await drain(stream);
    expect(events).toHaveLength(1);
    expect(error).toMatchObject({ code: 'GW_UPSTREAM_TRUNCATED' });
  });

  it('reads a connection reset mid-stream as truncation', async () => {
    const { body, stream } = streamOf([ev('conversation.message.delta', delta('a'))]);
    setTimeout(
      () => body.destroy(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })),
      20,
    );
    const { events, error } = await drain(stream);
    expect(events).toHaveLength(1);
    expect(error).toMatchObject({ code: 'GW_UPSTREAM_TRUNCATED', logId: 'LOG1' });
  });

  it('ends normally right after an error event', async () => {
    const { body, stream } = streamOf([ev('error', '{"code":4000,"msg":"Request parameter error"}')]);
    body.end();
    const { events, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(events).toEqual([{ type: 'error', code: 4000, msg: 'Request parameter error' }]);
  });

  it('ends normally right after conversation.chat.failed (no trailing newline either)', async () => {
    const { body, stream } = streamOf([`event:conversation.chat.failed\ndata:${chat('failed')}`]);
    body.end();
    const { events, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(events[0]).toMatchObject({ type: 'chat', event: 'conversation.chat.failed' });
  });

  it('throws GW_UPSTREAM_BAD_RESPONSE on invalid JSON after yielding what came before', async () => {
    const { body, stream } = streamOf([
      ev('conversation.message.delta', delta('ok')),
      ev('conversation.message.delta', '{oops}'),
    ]);
    body.end();
    const { events, error } = await drain(stream);
    expect(answerText(events)).toBe('ok');
    expect(error).toMatchObject({ code: 'GW_UPSTREAM_BAD_RESPONSE', logId: 'LOG1' });
  });

  it('maps the legacy bare JSON error body to its code (§3.5)', async () => {
    const { body, stream } = streamOf(['{"code":4100,"msg":"authentication is invalid"}']);
    body.end();
    const { events, error } = await drain(stream);
    expect(events).toEqual([]);
    expect(error).toMatchObject({ code: 'GW_COZE_AUTH', cozeCode: 4100, logId: 'LOG1' });
    expect((error as Error).message).not.toContain('authentication is invalid');
  });

  it('maps a non-SSE body to GW_UPSTREAM_BAD_RESPONSE', async () => {
    const { body, stream } = streamOf(['<html>oops</html>']);
    body.end();
    expect((await drain(stream)).error).toMatchObject({ code: 'GW_UPSTREAM_BAD_RESPONSE' });
  });

  it('times out waiting for the first event with GW_UPSTREAM_TIMEOUT', async () => {
    const { body, stream } = streamOf([], { firstEventMs: 50 });
    const { error } = await drain(stream);
    expect(error).toMatchObject({ code: 'GW_UPSTREAM_TIMEOUT', logId: 'LOG1' });
    expect(body.destroyed).toBe(true);
  });

  it('times out when the upstream is idle between events, after yielding what came', async () => {
    const { stream } = streamOf([ev('conversation.message.delta', delta('a'))], { idleMs: 50 });
    const { events, error } = await drain(stream);
    expect(events).toHaveLength(1);
    expect(error).toMatchObject({ code: 'GW_UPSTREAM_TIMEOUT' });
  });

  it('does not count a slow consumer as upstream idleness', async () => {
    const { body, stream } = streamOf([ev('conversation.message.delta', delta('a'))], { idleMs: 30 });
    const events: ChatEvent[] = [];
    for await (const e of stream) {
      events.push(e);
      if (events.length === 1) {
        await new Promise((r) => setTimeout(r, 80)); // longer than idleMs
        body.write(ev('done', '"[DONE]"'));
      }
    }
    expect(events.at(-1)).toEqual({ type: 'done' });
  });

  it('abort() ends the iteration quietly and closes the body', async () => {
    const { body, stream } = streamOf([ev('conversation.message.delta', delta('a'))]);
    const events: ChatEvent[] = [];
    for await (const e of stream) {
      events.push(e);
      stream.abort();
    }
    expect(events).toHaveLength(1);
    expect(body.destroyed).toBe(true);
  });

  it('an aborted caller signal ends the iteration quietly', async () => {
    const body = new PassThrough();
    const ac = new AbortController();
    const stream = createChatStream({
      body,
      firstEventMs: 5_000,
      idleMs: 5_000,
      cancel: () => {},
      signal: ac.signal,
    });
    body.write(ev('conversation.message.delta', delta('a')));
    setTimeout(() => ac.abort(), 20);
    const { events, error } = await drain(stream);
    expect(events).toHaveLength(1);
    expect(error).toBeUndefined();
  });

  it('a body that lingers after done is destroyed without an uncaught AbortError', async () => {
    // Like undici's body: destroying it before its end errors it with an AbortError.
    const body = new PassThrough({
      destroy: (err, cb) => cb(err ?? Object.assign(new Error('Request aborted'), { name: 'AbortError' })),
    });
    const stream = createChatStream({ body, firstEventMs: 5_000, idleMs: 5_000, cancel: () => {} });
    body.write(ev('conversation.chat.completed', chat('completed')));
    body.write(ev('done', '"[DONE]"'));
    const { events, error } = await drain(stream);
    expect(events.at(-1)).toEqual({ type: 'done' });
    expect(error).toBeUndefined();
    // The rest of the body never comes: after the linger it is destroyed; its error must be
    // handled (an unhandled one fails this run, as it would end the gateway's process).
    await new Promise((resolve) => body.once('close', resolve));
    expect(body.destroyed).toBe(true);
    expect(body.errored).toBeInstanceOf(Error);
  });
});
