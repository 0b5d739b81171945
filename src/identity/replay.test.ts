import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../state/index.js';
import { useOnce, useSsoTokenOnce } from './replay.js';
import { SIGNATURE_WINDOW_SECONDS, signRequest, verifySignature } from './signature.js';

const T = 1_750_000_000;
const SECRET = 'replay-secret-0123456789';

// The Store's clock is the process clock: moved here by hand (only Date is faked).
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** What the route does: check the window at the current second, then remember the signature. */
async function accept(store: MemoryStore, ts: number): Promise<void> {
  const sig = signRequest(SECRET, ts, 'body');
  verifySignature([SECRET], String(ts), sig, 'body', Math.floor(Date.now() / 1000));
  await useOnce(store, 'shop', sig, ts);
}

describe('replay protection of signed requests', () => {
  it('refuses a replay for as long as the window accepts the timestamp, from either edge', async () => {
    vi.setSystemTime((T - 1000) * 1000);
    const store = new MemoryStore();
    try {
      // First used at the early edge (a host clock 5 minutes ahead)…
      vi.setSystemTime((T - SIGNATURE_WINDOW_SECONDS) * 1000);
      await accept(store, T);
      // …replayed in the very last millisecond the timestamp check still lets through.
      vi.setSystemTime((T + SIGNATURE_WINDOW_SECONDS) * 1000 + 999);
      await expect(accept(store, T)).rejects.toMatchObject({ code: 'GW_REPLAYED' });
      // Past it, the timestamp check refuses it anyway.
      vi.setSystemTime((T + SIGNATURE_WINDOW_SECONDS + 1) * 1000);
      await expect(accept(store, T)).rejects.toMatchObject({ code: 'GW_STALE_TIMESTAMP' });
    } finally {
      await store.close();
    }
  });

  it('on a store in memory, refuses a signature dated before the store began (a restart)', async () => {
    vi.setSystemTime(T * 1000 + 500);
    const store = new MemoryStore();
    try {
      await expect(accept(store, T - 1)).rejects.toMatchObject({ code: 'GW_REPLAYED' });
      await expect(accept(store, T - 200)).rejects.toMatchObject({ code: 'GW_REPLAYED' });
      // Its own second, and later ones (a host clock ahead), pass once.
      await accept(store, T);
      await accept(store, T + 100);
      await expect(accept(store, T + 100)).rejects.toMatchObject({ code: 'GW_REPLAYED' });
    } finally {
      await store.close();
    }
  });

  it('keeps apps apart: one signature is remembered per app', async () => {
    vi.setSystemTime(T * 1000);
    const store = new MemoryStore();
    try {
      await useOnce(store, 'shop', 'sig', T);
      await useOnce(store, 'blog', 'sig', T);
      await expect(useOnce(store, 'shop', 'sig', T)).rejects.toMatchObject({ code: 'GW_REPLAYED' });
    } finally {
      await store.close();
    }
  });
});

describe('single-use SSO tokens', () => {
  it('are exchanged once until they expire (and the skew has passed); a token without jti is refused', async () => {
    vi.setSystemTime(T * 1000);
    const store = new MemoryStore();
    try {
      const token = { jti: 'j-1', exp: T + 60 };
      await useSsoTokenOnce(store, 'shop', token, 30);
      vi.setSystemTime((T + 60 + 30) * 1000);
      await expect(useSsoTokenOnce(store, 'shop', token, 30)).rejects.toMatchObject({ code: 'GW_REPLAYED' });
      await useSsoTokenOnce(store, 'blog', token, 30);
      await expect(useSsoTokenOnce(store, 'shop', { exp: T + 60 }, 30)).rejects.toMatchObject({
        code: 'GW_SSO_INVALID',
      });
    } finally {
      await store.close();
    }
  });
});
