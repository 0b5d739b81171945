import { describe, expect, it } from 'vitest';
import { MemoryStore, RedisStore } from '../state/index.js';
import { cozeIdentity, principalOf, Sessions } from './sessions.js';

describe('principals and Coze identities', () => {
  it('keep host users and visitors apart, and include the app in the Coze identity', () => {
    expect(principalOf({ kind: 'user', userId: 'v_1' })).toBe('u:v_1');
    expect(principalOf({ kind: 'visitor', userId: 'v_1' })).toBe('v:v_1');
    expect(cozeIdentity({ appId: 'shop', kind: 'user', userId: '42' })).toEqual({
      sessionName: 'shop:u:42',
      userId: 'shop:u:42',
    });
  });
});

describe('session tokens', () => {
  it('are issued, verified, and revoked; the Store keeps only their hash', async () => {
    const store = new MemoryStore();
    const sessions = new Sessions(store);
    try {
      const { token, session } = await sessions.issue({ appId: 'shop', userId: 'u1', kind: 'user' }, 60);
      expect(token).toMatch(/^gws_[A-Za-z0-9_-]{43}$/);
      expect(await sessions.verify(token)).toEqual(session);
      expect(await store.get(`session:${token}`)).toBeUndefined();
      await sessions.revoke(token);
      await expect(sessions.verify(token)).rejects.toMatchObject({ code: 'GW_SESSION_EXPIRED' });
    } finally {
      await store.close();
    }
  });

  it('refuse a token that is missing or not of the gateway’s form before asking the Store', async () => {
    const sessions = new Sessions(new MemoryStore());
    for (const t of [undefined, '', 'gws_short', `gws_${'a'.repeat(42)}!`, `Bearer gws_${'a'.repeat(43)}`])
      await expect(sessions.verify(t)).rejects.toMatchObject({ code: 'GW_UNAUTHENTICATED' });
  });
});

describe('merging a visitor', () => {
  it('takes a live visitor of the same app; anything else is bad input (400)', async () => {
    const sessions = new Sessions(new MemoryStore());
    const v = await sessions.issueVisitor('shop', 'https://shop.example.com', 60);
    expect((await sessions.visitorToMerge(v.token, 'shop')).userId).toBe(v.session.userId);
    const user = await sessions.issue({ appId: 'shop', userId: 'u1', kind: 'user' }, 60);
    for (const [token, app] of [
      [v.token, 'blog'],
      [user.token, 'shop'],
      ['gws_not-a-token', 'shop'],
      [`gws_${'a'.repeat(43)}`, 'shop'],
    ])
      await expect(sessions.visitorToMerge(token, app)).rejects.toMatchObject({
        code: 'GW_INVALID_REQUEST',
        status: 400,
      });
  });

  it('reports a Store that cannot answer as 503 GW_STORE_UNAVAILABLE, not as bad input', async () => {
    // A real Redis client with nothing listening: every command fails at once.
    const store = new RedisStore({ url: 'redis://127.0.0.1:1', keyPrefix: 'cg:', connectTimeoutMs: 200 });
    try {
      await expect(new Sessions(store).visitorToMerge(`gws_${'a'.repeat(43)}`, 'shop')).rejects.toMatchObject(
        {
          code: 'GW_STORE_UNAVAILABLE',
          status: 503,
        },
      );
    } finally {
      await store.close();
    }
  });
});
