// The edges of the HTTP server: slow and malformed clients, what every response carries, how a
// client's address is counted, shutting down, and what /ready and /v1/meta tell. Each answer a
// client gets is the GW_* envelope of the rest of the API.
import { connect, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../../src/cli/gateway.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { openLedger } from '../../src/ledger/index.js';
import { createLogger } from '../../src/observability/index.js';
import { startTestSimulator } from '../../src/simulator/testing.js';
import { openStore } from '../../src/state/index.js';
import { get, post, visitor } from '../helpers/client.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { freePort } from '../helpers/nginx.js';

/**
 * Opens a raw connection, lets `talk` write to it, and resolves everything the server sent once
 * the server closes the connection (the test's timeout is the limit).
 */
function exchange(base: string, talk: (s: Socket) => (() => void) | undefined): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const s = connect(Number(port), hostname);
    let text = '';
    let stop: (() => void) | undefined;
    s.setEncoding('utf8');
    s.on('data', (d) => (text += d));
    s.on('error', () => {}); // a reset after the answer: what was read is the result
    s.on('close', () => {
      stop?.();
      resolve(text);
    });
    s.on('connect', () => {
      stop = talk(s);
    });
  });
}

function envelope(text: string): { status: number; code: string; headers: string } {
  const [head, body] = text.split('\r\n\r\n');
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]),
    code: (JSON.parse(body) as { error: { code: string } }).error.code,
    headers: head.toLowerCase(),
  };
}

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '500' });
});
afterAll(() => gw?.stop());

describe('slow clients', () => {
  it('cuts a body sent a byte at a time with 408 GW_REQUEST_TIMEOUT (REQUEST_TIMEOUT_MS)', async () => {
    const t0 = performance.now();
    const text = await exchange(gw.url, (s) => {
      s.write(
        'POST /v1/sessions/visitor HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
      );
      const drip = setInterval(() => s.writable && s.write(' '), 50);
      return () => clearInterval(drip);
    });
    const r = envelope(text);
    expect(r.status).toBe(408);
    expect(r.code).toBe('GW_REQUEST_TIMEOUT');
    expect(r.headers).toContain('x-content-type-options: nosniff');
    expect(performance.now() - t0).toBeLessThan(15_000);
  });

  it('cuts headers sent a byte at a time the same way (HEADERS_TIMEOUT_MS)', async () => {
    const text = await exchange(gw.url, (s) => {
      s.write('GET /health HTTP/1.1\r\nHost: gw\r\n');
      const drip = setInterval(() => s.writable && s.write('X'), 50);
      return () => clearInterval(drip);
    });
    expect(envelope(text)).toMatchObject({ status: 408, code: 'GW_REQUEST_TIMEOUT' });
  });

  it('refuses timeouts that contradict each other at start', () => {
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '5000' })).toThrow(
      /HEADERS_TIMEOUT_MS .* REQUEST_TIMEOUT_MS/,
    );
  });
});

describe("the framework's own refusals use the GW_* envelope", () => {
  it('431 for oversized headers, 400 for bytes that are not HTTP', async () => {
    const big = await exchange(gw.url, (s) => {
      s.write(`GET /health HTTP/1.1\r\nHost: gw\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      return undefined;
    });
    expect(envelope(big)).toMatchObject({ status: 431, code: 'GW_HEADERS_TOO_LARGE' });
    const junk = await exchange(gw.url, (s) => {
      s.write('HELLO THERE\r\n\r\n');
      return undefined;
    });
    expect(envelope(junk)).toMatchObject({ status: 400, code: 'GW_INVALID_REQUEST' });
  });

  it('bad JSON, a wrong content type, a too large body and a bad URL', async () => {
    const cases: [Promise<Response>, number, string][] = [
      [post(gw.url, '/v1/sessions/visitor', undefined, '{"app":'), 400, 'GW_INVALID_JSON'],
      [
        fetch(`${gw.url}/v1/sessions/visitor`, {
          method: 'POST',
          body: 'a=1',
          headers: { 'content-type': 'text/plain' },
        }),
        415,
        'GW_UNSUPPORTED_MEDIA_TYPE',
      ],
      [post(gw.url, '/v1/sessions/visitor', undefined, `"${'x'.repeat(70_000)}"`), 413, 'GW_BODY_TOO_LARGE'],
      [fetch(`${gw.url}/v1/conversations/%E0%A4%A`), 400, 'GW_INVALID_REQUEST'],
    ];
    for (const [res, status, code] of cases) {
      const r = await res;
      expect({
        status: r.status,
        code: ((await r.json()) as { error: { code: string } }).error.code,
      }).toEqual({
        status,
        code,
      });
    }
  });
});

describe('request ids', () => {
  it("keeps a client's short, plain X-Request-Id and replaces anything else", async () => {
    const id = (sent: string) =>
      fetch(`${gw.url}/health`, { headers: { 'x-request-id': sent } }).then((r) =>
        r.headers.get('x-request-id'),
      );
    expect(await id('order-42.retry:1')).toBe('order-42.retry:1');
    for (const bad of ['x'.repeat(65), '<script>alert(1)</script>', 'a b', '"quoted"']) {
      const got = await id(bad);
      expect(got).not.toBe(bad);
      expect(got).toMatch(/^rq_[A-Za-z0-9_-]+$/);
    }
  });
});

describe('headers of every response', () => {
  it('pages get a Content-Security-Policy with no inline script or style, and no framing', async () => {
    const page = await fetch(`${gw.url}/`);
    await page.text();
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).toMatch(/style-src 'self'/);
    expect(csp).not.toMatch(/unsafe-inline/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('the widget stays embeddable by other sites; JSON, errors and streams are nosniff', async () => {
    // As another site's <script src> loads it (no Origin: a classic script is a no-cors request).
    const widget = await fetch(`${gw.url}/widget.js`);
    expect(widget.status).toBe(200);
    expect(widget.headers.get('x-content-type-options')).toBe('nosniff');
    expect(widget.headers.get('content-security-policy')).toBeNull();
    expect(widget.headers.get('x-frame-options')).toBeNull();
    expect(widget.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    await widget.arrayBuffer();
    for (const path of ['/v1/meta', '/health', '/nowhere']) {
      const r = await get(gw.url, path);
      expect(r.headers.get('x-content-type-options'), path).toBe('nosniff');
      await r.arrayBuffer();
    }
    const token = await visitor(gw.url);
    const stream = await post(gw.url, '/v1/chat/stream', token, { message: 'hi' });
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.headers.get('x-content-type-options')).toBe('nosniff');
    await stream.text();
  });

  it('/v1/meta tells the mode, not where the upstream is', async () => {
    const text = await (await get(gw.url, '/v1/meta')).text();
    expect(JSON.parse(text).upstream).toEqual({ mode: 'simulator' });
    expect(text).not.toContain(new URL(gw.simulator!.url).host);
    expect(text).not.toContain('base_url');
  });
});

describe('client addresses', () => {
  let proxied: TestGateway;
  beforeAll(async () => {
    // The test itself is the trusted proxy (127.0.0.1), so it can say which address a client has.
    proxied = await startTestGateway({
      TRUST_PROXY: '127.0.0.1',
      ALLOWED_ORIGINS: 'https://shop.example.com',
      RATE_LIMIT_SESSIONS_PER_IP: '1/2',
    });
  });
  afterAll(() => proxied?.stop());
  const from = (address: string) =>
    fetch(`${proxied.url}/v1/sessions/visitor`, {
      method: 'POST',
      headers: { 'x-forwarded-for': address, origin: 'https://shop.example.com' },
    }).then((r) => r.status);

  it('an IPv4 client is one client however it is written (::ffff:a.b.c.d is a.b.c.d)', async () => {
    expect([
      await from('198.51.100.7'),
      await from('::ffff:198.51.100.7'),
      await from('::FFFF:c633:6407'),
    ]).toEqual([201, 201, 429]);
  });

  it('an IPv6 client is counted by its /64: rotating through it gains nothing', async () => {
    expect([
      await from('2001:db8:1:2::1'),
      await from('2001:db8:1:2:abcd::99'),
      await from('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'),
    ]).toEqual([201, 201, 429]);
    expect(await from('2001:db8:1:3::1')).toBe(201);
  });
});

describe('start-up checks', () => {
  it('refuses a GATEWAY_ADMIN_TOKEN shorter than 16 characters', () => {
    for (const token of ['a', 'fifteen-chars15']) {
      let message = '';
      try {
        loadConfig({ GATEWAY_ADMIN_TOKEN: token });
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        message = (e as Error).message;
      }
      expect(message).toMatch(/GATEWAY_ADMIN_TOKEN must be at least 16 characters/);
    }
    expect(loadConfig({ GATEWAY_ADMIN_TOKEN: 'sixteen-chars-16' }).adminToken).toBe('sixteen-chars-16');
  });
});

describe("the simulator's control routes", () => {
  it("refuse anyone without the simulator's control token", async () => {
    const sim = gw.simulator!;
    const before = sim.stats().chats;
    const r = await fetch(`${sim.url}/_simulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chatFailCount: 100 }),
    });
    expect(r.status).toBe(401);
    // The gateway still chats: no fault was set.
    const token = await visitor(gw.url);
    expect((await post(gw.url, '/v1/chat', token, { message: 'hello' })).status).toBe(200);
    expect(sim.stats().chats).toBe(before + 1);
  });
});

describe('shutting down', () => {
  it('answers a request that arrives while closing with 503 GW_SHUTTING_DOWN', async () => {
    const closing = await startTestGateway();
    let closed: Promise<void> | undefined;
    const text = await exchange(closing.url, (s) => {
      // The request has begun (its connection is busy, so closing does not drop it) ...
      s.write('GET /v1/meta HTTP/1.1\r\nHost: gw\r\n');
      // ... and ends once close() has begun. (A timer and then an immediate: the server's poll
      // phase has read the first bytes by then.)
      setTimeout(() =>
        setImmediate(() => {
          closed = closing.stop();
          s.write('\r\n');
        }),
      );
      return undefined;
    });
    await closed;
    const r = envelope(text);
    expect(r).toMatchObject({ status: 503, code: 'GW_SHUTTING_DOWN' });
    expect(r.headers).toContain('connection: close');
  });
});

describe('/ready and the Coze credential', () => {
  const lines = (sink: PassThrough) => {
    let out = '';
    sink.on('data', (d) => (out += d));
    return () => out;
  };
  const start = async (env: Record<string, string>) => {
    const sink = new PassThrough();
    const log = lines(sink);
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      DATABASE_URL: 'sqlite::memory:',
      COZE_BOT_ID: '7500000000000000001',
      ...env,
    });
    return { gateway: await startGateway(config, { logDestination: sink }), log };
  };

  it('is not ready with a wrong PAT, says why in one log line, and asks Coze once, not per probe', async () => {
    const sim = await startTestSimulator();
    const bad = await start({ COZE_BASE_URL: sim.url, COZE_PAT: 'pat_wrong' });
    const good = await start({ COZE_BASE_URL: sim.url, COZE_PAT: 'pat_test_token' });
    try {
      const ready = await get(bad.gateway.url, '/ready');
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: Record<string, string> }).checks.coze_token).toBe(
        'GW_COZE_AUTH',
      );
      await expect.poll(bad.log).toMatch(/Coze refused the credential in COZE_PAT/);
      expect(bad.log()).not.toContain('pat_wrong');

      expect((await get(good.gateway.url, '/ready')).status).toBe(200);
      const requests = sim.stats().requests;
      for (let i = 0; i < 5; i++) {
        expect((await get(good.gateway.url, '/ready')).status).toBe(200);
        expect((await get(bad.gateway.url, '/ready')).status).toBe(503);
      }
      expect(sim.stats().requests).toBe(requests);
    } finally {
      await bad.gateway.close(0);
      await good.gateway.close(0);
      await sim.close();
    }
  });

  it('is not ready when Coze cannot be reached', async () => {
    const sim = await startTestSimulator();
    const url = sim.url;
    await sim.close();
    const gone = await start({
      COZE_BASE_URL: url,
      COZE_PAT: 'pat_test_token',
      COZE_CONNECT_TIMEOUT_MS: '500',
    });
    try {
      const ready = await get(gone.gateway.url, '/ready');
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: Record<string, string> }).checks.coze_token).toMatch(
        /^GW_UPSTREAM_(UNAVAILABLE|TIMEOUT)$/,
      );
      await expect.poll(gone.log).toMatch(/could not be reached to check COZE_PAT/);
    } finally {
      await gone.gateway.close(0);
    }
  });
});

describe('secrets in messages', () => {
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('expected a failure');
      },
      (e: Error) => e.message,
    );

  it('a short database or Redis password is masked in its URL, and nowhere else', async () => {
    const port = await freePort(); // nothing listens there
    const mysql = loadConfig({ DATABASE_URL: `mysql://root:1@127.0.0.1:${port}/test` }).database;
    const message = await failure(openLedger(mysql));
    expect(message).toContain(`mysql://root:***@127.0.0.1:${port}/test is not reachable`);
    expect(message).toContain(`127.0.0.1:${port}`);
    expect(message).not.toMatch(/\*\*\*27|0\.0\.\*\*\*/);
    const redis = loadConfig({
      REDIS_URL: `redis://:0@127.0.0.1:${port}/0`,
      REDIS_CONNECT_TIMEOUT_MS: '500',
    }).redis;
    const redisMessage = await failure(openStore(redis));
    expect(redisMessage).toContain(`redis://:***@127.0.0.1:${port}/0 is not reachable`);
    expect(redisMessage).toContain('127.0.0.1');
  });

  it('log lines keep hosts and lose the passwords of URLs in messages and errors', () => {
    const sink = new PassThrough();
    let out = '';
    sink.on('data', (d) => (out += d));
    const logger = createLogger('info', sink);
    logger.error(
      { err: new Error('connect postgres://app:hunter2hunter2@db.internal:5432/cg failed') },
      'retrying redis://:s3cret-pass@cache.internal:6379',
    );
    expect(out).toContain('postgres://app:***@db.internal:5432/cg');
    expect(out).toContain('redis://:***@cache.internal:6379');
    expect(out).not.toMatch(/hunter2|s3cret/);
  });
});
