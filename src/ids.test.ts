import { describe, expect, it, vi } from 'vitest';
import { newId } from './ids.js';

describe('newId', () => {
  it('makes unique ids that sort in the order they were made', () => {
    const ids = Array.from({ length: 20_000 }, () => newId('tn'));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids.slice(0, 10)) expect(id).toMatch(/^tn_[0-9a-f]{28}$/);
  });

  it('gives ids made in the same millisecond the order they were made in and different random tails', () => {
    // The clock held still: every id below is made in one millisecond (a loop alone may span several).
    const now = vi.spyOn(Date, 'now').mockReturnValue(Date.UTC(2030, 0, 1));
    try {
      const ids = Array.from({ length: 5_000 }, () => newId('x'));
      expect(new Set(ids.map((id) => id.slice(2, 14)))).toEqual(
        new Set([Date.UTC(2030, 0, 1).toString(16).padStart(12, '0')]),
      );
      expect([...ids].sort()).toEqual(ids);
      // 48 random bits each: a repeat among 5,000 would mean the pool hands out the same bytes.
      expect(new Set(ids.map((id) => id.slice(-12))).size).toBe(5_000);
    } finally {
      now.mockRestore();
    }
  });

  it('keeps ids in order when the clock steps back', () => {
    const first = newId('tn');
    const now = vi.spyOn(Date, 'now').mockReturnValue(Date.now() - 60_000);
    try {
      const later = [newId('tn'), newId('tn')];
      expect([first, ...later].sort()).toEqual([first, ...later]);
    } finally {
      now.mockRestore();
    }
  });
});
