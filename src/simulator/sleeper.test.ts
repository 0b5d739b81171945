import { describe, expect, it } from 'vitest';
import { Sleeper } from './sleeper.js';

describe('Sleeper', () => {
  it('wakes all pending sleeps on stop and returns at once afterwards', async () => {
    const s = new Sleeper();
    const woke: number[] = [];
    const sleeps = [1, 2, 3].map((n) => s.sleep(60_000).then(() => woke.push(n)));
    expect(s.closed).toBe(false);
    s.stop();
    await Promise.all(sleeps);
    expect(woke.sort()).toEqual([1, 2, 3]);
    expect(s.closed).toBe(true);
    await s.sleep(60_000);
  });

  it('sleeps normally otherwise', async () => {
    const s = new Sleeper();
    await s.sleep(1);
    await s.sleep(0);
    expect(s.closed).toBe(false);
  });
});
