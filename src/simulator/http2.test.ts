// The simulator answers HTTP/2 without TLS (h2c) on its one port, beside HTTP/1.1: a gateway with
// COZE_HTTP2 multiplexes its streams over few connections.
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from './index.js';
import { chatBody, PAT, startTestSimulator } from './testing.js';

let sim: Simulator;
let h2: Agent;
let connections = 0;
beforeAll(async () => {
  sim = await startTestSimulator({ pats: [PAT] });
  // undici's Pool builds its own connector: useH2c must go in `connect` to reach it.
  h2 = new Agent({ allowH2: true, pipelining: 100, connect: { useH2c: true } as object });
  h2.on('connect', () => connections++);
});
afterAll(async () => {
  await h2.close();
  await sim.close();
});

const chat = async (message: string) => {
  const res = await request(`${sim.url}/v3/chat`, {
    method: 'POST',
    dispatcher: h2,
    idempotent: true,
    headers: { authorization: `Bearer ${PAT}`, 'content-type': 'application/json' },
    body: JSON.stringify(chatBody(message)),
  });
  return { res, text: await res.body.text() };
};

describe('HTTP/2 (h2c)', () => {
  it('streams a chat over HTTP/2 with the same events as over HTTP/1.1', async () => {
    const { res, text } = await chat('hello over h2');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.headers['x-tt-logid']).toBeTruthy();
    expect(res.headers.connection).toBeUndefined();
    expect(text).toContain('event:conversation.message.delta');
    expect(text.trimEnd().endsWith('data:"[DONE]"')).toBe(true);
  });

  it('runs many streams at once over one connection', async () => {
    await chat('the connection is open');
    connections = 0;
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => chat(`question ${i}`)));
    for (const { res, text } of all) {
      expect(res.statusCode).toBe(200);
      expect(text).toContain('event:conversation.chat.completed');
    }
    expect(connections).toBe(0);
  });

  it('a cut stream (#cut) is reset alone; the others on its connection finish', async () => {
    await chat('the connection is open');
    connections = 0;
    const cut = chat('cut me #cut please').then(
      () => 'finished',
      (e: Error) => e.message,
    );
    const healthy = await Promise.all([chat('one'), chat('two')]);
    for (const { text } of healthy) expect(text).toContain('event:conversation.chat.completed');
    expect(await cut).not.toBe('finished');
    expect(connections).toBe(0);
  });

  it('still answers HTTP/1.1 on the same port', async () => {
    const res = await fetch(`${sim.url}/v3/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${PAT}`, 'content-type': 'application/json' },
      body: JSON.stringify(chatBody('hello over h1')),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).toBe('keep-alive');
    expect(await res.text()).toContain('event:conversation.chat.completed');
  });
});
