import { describe, expect, it } from 'vitest';
import { businessContext } from './context.js';

describe('business context', () => {
  it('takes up to 16 string pairs with plain keys', () => {
    const sixteen = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v']));
    expect(businessContext.safeParse(sixteen).success).toBe(true);
    expect(businessContext.safeParse({ order_id: '42', 'page.name': 'cart', 'a-b': 'x' }).success).toBe(true);
  });

  it('refuses a 17th pair, odd keys, empty or long values and values that are not strings', () => {
    const seventeen = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']));
    for (const bad of [
      seventeen,
      { 'bad key!': 'x' },
      { ['k'.repeat(65)]: 'x' },
      { k: '' },
      { k: 'v'.repeat(513) },
      { k: 42 },
      { k: { nested: 'x' } },
    ])
      expect(businessContext.safeParse(bad).success).toBe(false);
  });
});
