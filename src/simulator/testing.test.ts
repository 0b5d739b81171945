import { describe, expect, it } from 'vitest';
import { LineReader, parseFrames } from './testing.js';

describe('test line reader', () => {
  it('keeps partial lines across pushes', () => {
    const r = new LineReader();
    expect(r.push('event:a\nda')).toEqual(['event:a']);
    expect(r.push('ta:1\n\n')).toEqual(['data:1', '']);
    expect(r.rest).toBe('');
  });

  it('rejects anything but the 2-line framing', () => {
    expect(parseFrames(['event:a', 'data:{}', ''])).toEqual([{ event: 'a', data: '{}' }]);
    expect(() => parseFrames(['data:{}', 'event:a', ''])).toThrow(/bad framing/);
    expect(() => parseFrames(['event:a', 'data:{}', 'id:1'])).toThrow(/bad framing/);
  });
});
