import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SIGNATURE_WINDOW_SECONDS, signedHeaders, signRequest, verifySignature } from './signature.js';

const SECRET = 'signature-secret-0123456789';
const T = 1_750_000_000;

describe('request signatures', () => {
  it('are HMAC-SHA256 over "<timestamp>.<raw body>", as the README tells hosts', () => {
    const expected = createHmac('sha256', SECRET).update(`${T}.{"user":{"id":"u"}}`).digest('hex');
    expect(signRequest(SECRET, T, '{"user":{"id":"u"}}')).toBe(`sha256=${expected}`);
    expect(signedHeaders(SECRET, '{}', T)).toEqual({
      'content-type': 'application/json',
      'x-gateway-timestamp': String(T),
      'x-gateway-signature': signRequest(SECRET, T, '{}'),
    });
  });

  it('are accepted within the window on both sides, to the second, and refused past it', () => {
    const sig = signRequest(SECRET, T, 'b');
    for (const now of [T - SIGNATURE_WINDOW_SECONDS, T, T + SIGNATURE_WINDOW_SECONDS])
      expect(() => verifySignature([SECRET], String(T), sig, 'b', now)).not.toThrow();
    for (const now of [T - SIGNATURE_WINDOW_SECONDS - 1, T + SIGNATURE_WINDOW_SECONDS + 1])
      expect(() => verifySignature([SECRET], String(T), sig, 'b', now)).toThrowError(
        expect.objectContaining({ code: 'GW_STALE_TIMESTAMP' }),
      );
  });

  it('refuse a timestamp that is not whole seconds', () => {
    for (const ts of [undefined, '', '1.5', '-1', '1e9', ' 1', '1234567890123'])
      expect(() => verifySignature([SECRET], ts, 'x', 'b', T)).toThrowError(
        expect.objectContaining({ code: 'GW_STALE_TIMESTAMP' }),
      );
  });

  it('take either secret of a rotation, and refuse another secret, a changed body or a changed time', () => {
    const other = 'previous-secret-0123456789';
    expect(() =>
      verifySignature([SECRET, other], String(T), signRequest(other, T, 'b'), 'b', T),
    ).not.toThrow();
    const bad = expect.objectContaining({ code: 'GW_BAD_SIGNATURE' });
    expect(() => verifySignature([SECRET], String(T), signRequest(other, T, 'b'), 'b', T)).toThrowError(bad);
    expect(() => verifySignature([SECRET], String(T), signRequest(SECRET, T, 'b'), 'B', T)).toThrowError(bad);
    expect(() => verifySignature([SECRET], String(T + 1), signRequest(SECRET, T, 'b'), 'b', T)).toThrowError(
      bad,
    );
    expect(() => verifySignature([SECRET], String(T), undefined, 'b', T)).toThrowError(bad);
    expect(() => verifySignature([], String(T), signRequest(SECRET, T, 'b'), 'b', T)).toThrowError(bad);
  });
});
