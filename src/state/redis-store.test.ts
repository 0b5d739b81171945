// RedisStore when Redis goes away and comes back, and openStore when it is not there at all.
// Each test runs its own redis-server (test/helpers/redis.ts), so it may stop it.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../../test/helpers/redis.js';
import { MemoryStore } from './memory-store.js';
import { openStore } from './open.js';
import { RedisStore, reconnectDelayMs } from './redis-store.js';
import type { Store } from './store.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/** Open sockets and timers of this process, to see that a failed open leaves none behind. */
const handles = () =>
  process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'Timeout').length;

describe('reconnectDelayMs', () => {
  it('backs off from 50 ms and stays at 1 s', () => {
    expect([1, 2, 3, 4, 5, 6].map(reconnectDelayMs)).toEqual([50, 100, 200, 400, 800, 1000]);
    expect(reconnectDelayMs(10_000)).toBe(1000);
  });
});

describe('RedisStore: Redis lost while running', () => {
  let redis: RedisServer;
  let store: Store;
  beforeAll(async () => {
    redis = await startRedisServer();
    store = await openStore({
      url: redis.url,
      redactedUrl: redis.url,
      keyPrefix: 't:',
      connectTimeoutMs: 2_000,
    });
  });
  afterAll(async () => {
    await store?.close();
    await redis?.stop();
  });

  it('fails every operation with GW_STORE_UNAVAILABLE (cause kept), then serves again', async () => {
    expect(store).toBeInstanceOf(RedisStore);
    await store.set('k', 'before');
    await redis.stop();

    const ops: (() => Promise<unknown>)[] = [
      () => store.get('k'),
      () => store.set('k', 'v', 1_000),
      () => store.setIfAbsent('lock', 'o', 1_000),
      () => store.deleteIfEquals('lock', 'o'),
      () => store.setIfHeld('lock', 'o', 'k', 'v', 1_000),
      () => store.delete('k'),
      () => store.ping(),
    ];
    for (const op of ops) {
      const err = await op().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ name: 'GatewayError', code: 'GW_STORE_UNAVAILABLE', status: 503 });
      expect((err as Error).cause).toBeInstanceOf(Error);
    }

    await redis.start();
    // The same store reconnects by itself (its backoff is at most 1 s).
    for (
      let i = 0;
      i < 100 &&
      !(await store.ping().then(
        () => true,
        () => false,
      ));
      i++
    )
      await sleep(50);
    await expect(store.ping()).resolves.toBeUndefined();
    expect(await store.get('k')).toBeUndefined(); // this redis-server keeps nothing on disk
    await store.set('k', 'after');
    expect(await store.get('k')).toBe('after');
    expect(await store.setIfAbsent('lock', 'o', 1_000)).toBe(true);
  }, 20_000);
});

describe('openStore', () => {
  it('is a MemoryStore without Redis settings', async () => {
    const store = await openStore(undefined);
    expect(store).toBeInstanceOf(MemoryStore);
    await store.close();
  });

  it('on a dead port: one line naming the redacted URL and the reason, no password, nothing left open', async () => {
    const port = await deadPort();
    const before = handles();
    const err = await openStore({
      url: `redis://:s3cret-pw@127.0.0.1:${port}/`,
      redactedUrl: `redis://:***@127.0.0.1:${port}/`,
      keyPrefix: 'cg:',
      connectTimeoutMs: 5_000,
    }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(
      `REDIS_URL redis://:***@127.0.0.1:${port}/ is not reachable: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect((err as Error).message).not.toContain('s3cret');
    await sleep(300); // a reconnect timer left behind would have fired by now
    expect(handles()).toBeLessThanOrEqual(before);
  });

  describe('on a server that accepts but never answers', () => {
    let silent: Server;
    let port: number;
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      // Reads what it is sent (so it sees the client hang up) and never answers.
      silent = createServer((s) => {
        sockets.add(s.on('close', () => sockets.delete(s)));
        s.resume();
      });
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      port = (silent.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    });

    it('gives up after connectTimeoutMs with one line', async () => {
      const before = handles();
      const err = await openStore({
        url: `redis://:pw@127.0.0.1:${port}`,
        redactedUrl: `redis://:***@127.0.0.1:${port}`,
        keyPrefix: 'cg:',
        connectTimeoutMs: 300,
      }).catch((e: unknown) => e as Error);
      expect((err as Error).message).toBe(
        `REDIS_URL redis://:***@127.0.0.1:${port} is not reachable: no answer within 300 ms`,
      );
      await sleep(300);
      expect(handles()).toBeLessThanOrEqual(before);
    });
  });
});
