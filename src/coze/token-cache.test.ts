import { describe, expect, it } from 'vitest';
import { createMemoryTokenCache } from './token-cache.js';

describe('createMemoryTokenCache', () => {
  it('gets, sets and deletes per session_name', async () => {
    const c = createMemoryTokenCache();
    await c.set('a', { token: 't', expiresAt: 1, source: 'oauth' });
    expect(await c.get('a')).toMatchObject({ token: 't' });
    expect(await c.get('b')).toBeUndefined();
    await c.delete('a');
    expect(await c.get('a')).toBeUndefined();
  });

  it('sweeps expired entries once it holds many', async () => {
    const c = createMemoryTokenCache();
    for (let i = 0; i < 10_000; i++) await c.set(`old-${i}`, { token: 't', expiresAt: 1, source: 'oauth' });
    await c.set('fresh', { token: 'f', expiresAt: Date.now() + 60_000, source: 'oauth' });
    expect(await c.get('old-1')).toBeUndefined();
    expect(await c.get('fresh')).toMatchObject({ token: 'f' });
  });
});
