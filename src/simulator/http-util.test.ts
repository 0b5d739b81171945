import { describe, expect, it } from 'vitest';
import { intParam, statusForCode, toMetadata } from './http-util.js';

describe('http-util', () => {
  it('maps business codes to HTTP statuses', () => {
    expect([4100, 4101, 4013, 4000, 4016, 4200].map(statusForCode)).toEqual([401, 403, 429, 200, 200, 200]);
  });

  it('parses integer params and string maps', () => {
    expect(intParam(null, 50, 1, 50)).toBe(50);
    expect(intParam('7', 50, 1, 50)).toBe(7);
    expect(intParam('51', 50, 1, 50)).toBeNull();
    expect(intParam('x', 50, 1, 50)).toBeNull();
    expect(toMetadata({ a: 'b', n: 1 })).toEqual({ a: 'b' });
    expect(toMetadata('nope')).toEqual({});
  });
});
