import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { chat, chatStream, deltas, visitor } from '../helpers/client.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

// COZE_HTTP2: the gateway's calls to Coze share HTTP/2 connections (h2c to the simulator here),
// so many open answers hold few sockets to Coze.

let gw: TestGateway | undefined;
let plain: Server | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
  plain?.closeAllConnections();
  await new Promise((r) => (plain ? plain.close(r) : r(undefined)));
  plain = undefined;
});

describe('COZE_HTTP2', () => {
  it('streams many answers at once over the HTTP/2 connection already open', async () => {
    gw = await startTestGateway({ COZE_HTTP2: 'true' });
    const tokens = await Promise.all(Array.from({ length: 12 }, () => visitor(gw!.url)));
    // One untimed turn each: their conversations are made and their Coze tokens fetched.
    const first = await Promise.all(tokens.map((t, i) => chat(gw!.url, t, `hello ${i}`)));
    for (const f of first) expect(f.body.status).toBe('completed');
    const before = gw.simulator!.stats().connections;

    const streams = await Promise.all(
      tokens.map((t, i) => chatStream(gw!.url, t, `#long 30 question ${i}`, first[i].body.conversation_id)),
    );
    for (const s of streams) {
      expect(s.events.at(-1)?.event).toBe('done');
      expect(deltas(s.events).length).toBeGreaterThan(20);
    }
    const after = gw.simulator!.stats().connections;
    expect(after.http2).toBeGreaterThanOrEqual(1);
    // Twelve answers streamed at once; no new connection was needed for them.
    expect(after.http2 - before.http2).toBe(0);
    expect(after.http1 - before.http1).toBe(0);
  });

  it('an answer cut upstream is interrupted with what arrived; the others on the connection finish', async () => {
    gw = await startTestGateway({ COZE_HTTP2: 'true' });
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => visitor(gw!.url)));
    await Promise.all([a, b, c].map((t) => chat(gw!.url, t, 'hello')));
    const [cut, ...healthy] = await Promise.all([
      chatStream(gw.url, a, '#long 30 #cut'),
      chatStream(gw.url, b, '#long 30 one'),
      chatStream(gw.url, c, '#long 30 two'),
    ]);
    expect(cut.events.at(-1)?.data).toMatchObject({ status: 'interrupted', code: 'GW_UPSTREAM_TRUNCATED' });
    expect(deltas(cut.events).length).toBeGreaterThan(0);
    for (const h of healthy) expect(h.events.at(-1)?.event).toBe('done');
  });

  it('a Coze endpoint that does not speak HTTP/2 fails the turn as unreachable, at once', async () => {
    plain = createServer((_req, res) => res.end('{"code":0}'));
    await new Promise<void>((r) => plain!.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
    gw = await startTestGateway({
      COZE_HTTP2: 'true',
      COZE_BASE_URL: base,
      COZE_PAT: 'pat_x',
      COZE_BOT_ID: '7500000000000000001',
      COZE_CONNECT_TIMEOUT_MS: '1000',
    });
    const t = await visitor(gw.url);
    const started = Date.now();
    const r = await chat(gw.url, t, 'hello');
    expect(r.status).toBe(502);
    expect(r.body.error?.code).toBe('GW_UPSTREAM_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(8000);
  });
});
