// Token provider: units, then the OAuth JWT flow against the simulator over real HTTP (§2.2).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/index.js';
import { jwtCredentials, PAT, startTestSimulator, uniqueSession } from './testing.js';
import type { CachedToken, TokenCache } from './token-cache.js';
import { createTokenProvider, refreshMarginMs } from './token-provider.js';

describe('refreshMarginMs (§2.2: like the Go/Java SDKs, scaled down for tiny TTLs)', () => {
  it('uses 30 s / 10 s / 5 s, then a fifth of the lifetime', () => {
    expect(refreshMarginMs(86_399_000)).toBe(30_000);
    expect(refreshMarginMs(600_000)).toBe(30_000);
    expect(refreshMarginMs(599_000)).toBe(10_000);
    expect(refreshMarginMs(60_000)).toBe(10_000);
    expect(refreshMarginMs(30_000)).toBe(5_000);
    expect(refreshMarginMs(3_000)).toBe(600);
    expect(refreshMarginMs(0)).toBe(0);
  });
});

describe('createTokenProvider options', () => {
  it('needs jwt or pat, and a ttl within 1..86399', () => {
    expect(() => createTokenProvider({ baseUrl: 'https://api.coze.cn' })).toThrow(/jwt.*pat/);
    expect(() =>
      createTokenProvider({ baseUrl: 'https://api.coze.cn', jwt: jwtCredentials(86_400) }),
    ).toThrow(/86399/);
  });
  it('rejects a bad private key at creation, without echoing it', () => {
    const jwt = { ...jwtCredentials(), privateKeyPem: 'not a key' };
    expect(() => createTokenProvider({ baseUrl: 'https://api.coze.cn', jwt })).toThrow(/PKCS#8/);
  });
  it('with only a PAT, returns the PAT', async () => {
    const p = createTokenProvider({ baseUrl: 'https://api.coze.cn', pat: 'pat_x' });
    expect(await p.getToken('a')).toMatchObject({ token: 'pat_x', source: 'pat' });
  });
});

describe('OAuth JWT against the simulator', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startTestSimulator();
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.resetFaults());

  it('the simulator accepts the assertion; the token is cached per session_name', async () => {
    const exchanges: string[] = [];
    const p = createTokenProvider({
      baseUrl: sim.url,
      jwt: jwtCredentials(),
      hooks: { onExchange: (s) => exchanges.push(s) },
    });
    const s = uniqueSession('cached');
    const first = await p.getToken(s);
    expect(first.source).toBe('oauth');
    expect(first.token).toMatch(/^czs_/);
    expect(first.expiresAt).toBeGreaterThan(Date.now() + 800_000); // expires_in is an absolute epoch
    for (let i = 0; i < 5; i++) expect((await p.getToken(s)).token).toBe(first.token);
    expect(sim.stats().tokenExchangesBySession[s]).toBe(1);
    expect(exchanges).toEqual([s]);
    const other = uniqueSession('other');
    expect((await p.getToken(other)).token).not.toBe(first.token);
    expect(sim.stats().tokenExchangesBySession[other]).toBe(1);
  });

  it('N concurrent first calls for one session_name make ONE exchange', async () => {
    const p = createTokenProvider({ baseUrl: sim.url, jwt: jwtCredentials() });
    const s = uniqueSession('concurrent');
    const tokens = await Promise.all(Array.from({ length: 20 }, () => p.getToken(s)));
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect(sim.stats().tokenExchangesBySession[s]).toBe(1);
  });

  it('refreshes before expiry when the simulator issues short-lived tokens', async () => {
    sim.setFaults({ tokenMaxDurationSeconds: 2 });
    // The provider reads a clock the test moves: the token ages without waiting, and exactly.
    let clock = Date.now();
    const p = createTokenProvider({ baseUrl: sim.url, jwt: jwtCredentials(), now: () => clock });
    const s = uniqueSession('refresh');
    const first = await p.getToken(s);
    expect(first.refreshAt).toBeLessThan(first.expiresAt);
    clock = first.refreshAt! - 1;
    expect((await p.getToken(s)).token).toBe(first.token);
    expect(sim.stats().tokenExchangesBySession[s]).toBe(1);
    clock = first.refreshAt!; // inside the refresh margin, not yet expired
    expect(clock).toBeLessThan(first.expiresAt);
    const second = await p.getToken(s);
    expect(second.token).not.toBe(first.token);
    expect(sim.stats().tokenExchangesBySession[s]).toBe(2);
  });

  it('invalidate() forces a new exchange', async () => {
    const p = createTokenProvider({ baseUrl: sim.url, jwt: jwtCredentials() });
    const s = uniqueSession('invalidate');
    const first = await p.getToken(s);
    await p.invalidate(s);
    expect((await p.getToken(s)).token).not.toBe(first.token);
    expect(sim.stats().tokenExchangesBySession[s]).toBe(2);
  });

  it('token endpoint down: falls back to the PAT for a short while, then uses OAuth again', async () => {
    sim.setFaults({ tokenEndpointDown: true });
    const fallbacks: unknown[] = [];
    let clock = Date.now();
    const p = createTokenProvider({
      baseUrl: sim.url,
      jwt: jwtCredentials(),
      pat: PAT,
      now: () => clock,
      patFallbackMs: 150,
      hooks: { onFallback: (_s, e) => fallbacks.push(e) },
    });
    const s = uniqueSession('fallback');
    const during = await p.getToken(s);
    expect(during).toMatchObject({ token: PAT, source: 'pat' });
    expect(fallbacks).toHaveLength(1);
    expect(await p.getToken(s)).toMatchObject({ source: 'pat' }); // cached briefly, no new attempt
    expect(fallbacks).toHaveLength(1);
    sim.setFaults({ tokenEndpointDown: false });
    clock += 149;
    expect(await p.getToken(s)).toMatchObject({ source: 'pat' });
    clock += 1;
    expect(await p.getToken(s)).toMatchObject({ source: 'oauth' });
  });

  it('without a PAT, a refused exchange is GW_COZE_AUTH with no secret in the message', async () => {
    const p = createTokenProvider({ baseUrl: sim.url, jwt: { ...jwtCredentials(), keyId: 'unknown-kid' } });
    const err = await p.getToken(uniqueSession('refused')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'GW_COZE_AUTH' });
    expect((err as { logId?: string }).logId).toBeTruthy();
    expect(String((err as Error).message)).not.toMatch(/BEGIN|czs_|eyJ/);
  });

  it('without a PAT, token endpoint down is GW_UPSTREAM_UNAVAILABLE; refused connection too', async () => {
    sim.setFaults({ tokenEndpointDown: true });
    const p = createTokenProvider({ baseUrl: sim.url, jwt: jwtCredentials() });
    await expect(p.getToken(uniqueSession('down'))).rejects.toMatchObject({
      code: 'GW_UPSTREAM_UNAVAILABLE',
    });
    const closed = createTokenProvider({ baseUrl: 'http://127.0.0.1:9', jwt: jwtCredentials() });
    await expect(closed.getToken('x')).rejects.toMatchObject({ code: 'GW_UPSTREAM_UNAVAILABLE' });
  });

  it('a failing cache is read as a miss', async () => {
    const broken: TokenCache = {
      get: () => Promise.reject(new Error('redis down')),
      set: () => Promise.reject(new Error('redis down')),
      delete: () => Promise.reject(new Error('redis down')),
    };
    const p = createTokenProvider({ baseUrl: sim.url, jwt: jwtCredentials(), cache: broken });
    expect(await p.getToken(uniqueSession('broken-cache'))).toMatchObject({ source: 'oauth' });
  });

  it('a cache whose refresh lease fails is used without one', async () => {
    const tokens = new Map<string, CachedToken>();
    const cache: TokenCache = {
      get: async (s) => tokens.get(s),
      set: async (s, t) => void tokens.set(s, t),
      delete: async (s) => void tokens.delete(s),
      acquireRefresh: () => Promise.reject(new Error('redis down')),
    };
    const p = createTokenProvider({ baseUrl: sim.url, jwt: jwtCredentials(), cache });
    const s = uniqueSession('lease-fails');
    const first = await p.getToken(s);
    expect(first).toMatchObject({ source: 'oauth' });
    expect(tokens.get(s)?.token).toBe(first.token);
    expect((await p.getToken(s)).token).toBe(first.token);
    expect(sim.stats().tokenExchangesBySession[s]).toBe(1);
  });
});
