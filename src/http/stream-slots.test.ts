import { describe, expect, it } from 'vitest';
import { StreamSlots } from './stream-slots.js';

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return {
      code: (e as { code: string }).code,
      status: (e as { status: number }).status,
      ...(e as { details: object }).details,
    };
  }
  throw new Error('not refused');
};

describe('StreamSlots', () => {
  it('counts per user (app and principal) and per address; a release gives one place back, once', () => {
    const slots = new StreamSlots({ perUser: 2, perAddress: 3 });
    const a1 = slots.take('shop', 'v:a', '10.0.0.1');
    slots.take('shop', 'v:a', '10.0.0.1');
    expect(refusal(() => slots.take('shop', 'v:a', '10.0.0.2'))).toEqual({
      code: 'GW_TOO_MANY_STREAMS',
      status: 429,
      limit: 'user',
    });
    // The same principal in another app is another user; parts cannot run into each other.
    slots.take('blog', 'v:a', '10.0.0.2');
    slots.take('shop:v', 'a', '10.0.0.2');
    slots.take('shop', 'v:b', '10.0.0.1');
    expect(refusal(() => slots.take('shop', 'v:c', '10.0.0.1'))).toMatchObject({ limit: 'ip' });
    a1();
    a1();
    const again = slots.take('shop', 'v:c', '10.0.0.1');
    expect(refusal(() => slots.take('shop', 'v:d', '10.0.0.1'))).toMatchObject({ limit: 'ip' });
    again();
  });

  it('forgets users and addresses with no open stream', () => {
    const slots = new StreamSlots({ perUser: 5, perAddress: 5 });
    const releases = Array.from({ length: 50 }, (_, i) => slots.take('shop', `v:${i}`, `10.0.${i}.1`));
    expect(slots.size).toBe(100);
    for (const r of releases) r();
    expect(slots.size).toBe(0);
  });
});
