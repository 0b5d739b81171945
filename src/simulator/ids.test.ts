import { describe, expect, it } from 'vitest';
import { createIdGenerator, newLogId, newToolCallId, nowSec, randomToken } from './ids.js';

describe('ids', () => {
  it('generates strictly increasing 19-digit decimal strings', () => {
    const next = createIdGenerator();
    const ids = Array.from({ length: 1000 }, () => next());
    for (const id of ids) expect(id).toMatch(/^\d{19}$/);
    for (let i = 1; i < ids.length; i++) expect(BigInt(ids[i]) > BigInt(ids[i - 1])).toBe(true);
  });

  it('makes 34-character REST log ids', () => {
    const id = newLogId(new Date('2025-01-06T17:20:24Z'));
    expect(id).toMatch(/^20250106172024[0-9A-F]{20}$/);
  });

  it('makes tokens, tool call ids and second timestamps', () => {
    expect(randomToken('czs_')).toMatch(/^czs_[A-Za-z0-9_-]{40,}$/);
    expect(newToolCallId()).toMatch(/^[A-Za-z0-9+/=]{32}$/);
    expect(String(nowSec())).toMatch(/^\d{10}$/);
  });
});
