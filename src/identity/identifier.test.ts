import { describe, expect, it } from 'vitest';
import { checkIdentifier, identifierProblem, isIdentifier } from './identifier.js';

describe('identifiers from outside', () => {
  it('accept ordinary ids in any script, with spaces, colons and emoji', () => {
    for (const id of ['customer-42', 'u:1', 'Li Lei', '王五', 'user@example.com', 'a😀b', 'x'.repeat(128)])
      expect(isIdentifier(id)).toBe(true);
  });

  it('refuse every C0 control (tab, CR, LF and NUL too), DEL and every C1 control', () => {
    for (let c = 0; c <= 0x1f; c++) expect(isIdentifier(`a${String.fromCharCode(c)}b`)).toBe(false);
    for (let c = 0x7f; c <= 0x9f; c++) expect(isIdentifier(`a${String.fromCharCode(c)}b`)).toBe(false);
  });

  it('refuse direction marks, overrides and isolates', () => {
    for (const c of [
      0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069,
    ])
      expect(isIdentifier(`a${String.fromCharCode(c)}b`)).toBe(false);
    // Their neighbours are ordinary characters.
    for (const c of [0x200d, 0x2030, 0x2065, 0x206a])
      expect(isIdentifier(`a${String.fromCharCode(c)}b`)).toBe(true);
  });

  it('refuse lone surrogates but not a pair', () => {
    expect(isIdentifier('a\ud800')).toBe(false);
    expect(isIdentifier('\udc00a')).toBe(false);
    expect(isIdentifier('a\udc00\ud800b')).toBe(false);
    expect(isIdentifier('a\ud83d\ude00b')).toBe(true);
  });

  it('refuse the empty string, one over the limit, and what is not a string', () => {
    expect(identifierProblem('')).toBe('must be 1 to 128 characters');
    expect(identifierProblem('x'.repeat(129))).toBe('must be 1 to 128 characters');
    expect(isIdentifier('x'.repeat(64), 64)).toBe(true);
    expect(isIdentifier('x'.repeat(65), 64)).toBe(false);
    expect(identifierProblem(42)).toBe('must be a string');
    expect(identifierProblem(['a'])).toBe('must be a string');
  });

  it('checkIdentifier returns the id, or throws 400 GW_INVALID_IDENTIFIER naming the field', () => {
    expect(checkIdentifier('id', 'cv_1')).toBe('cv_1');
    expect(() => checkIdentifier('conversation_id', 'cv\n1')).toThrowError(
      expect.objectContaining({
        code: 'GW_INVALID_IDENTIFIER',
        status: 400,
        details: { field: 'conversation_id' },
        message: expect.stringContaining('"conversation_id"'),
      }),
    );
  });
});
