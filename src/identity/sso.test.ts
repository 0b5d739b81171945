import { createHmac, generateKeyPairSync } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { verifySsoToken } from './sso.js';

const SECRET = 'sso-secret-0123456789abcdef';
const OTHER = 'sso-other-secret-0123456789';
const NOW = 1_750_000_000;
const rules = { maxLifetimeSeconds: 600, now: () => NOW * 1000 };

const sign = (claims: Record<string, unknown>, secret = SECRET) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
const claims = (extra: Record<string, unknown> = {}) => ({
  sub: 'u-1',
  aud: 'shop',
  iat: NOW,
  exp: NOW + 300,
  ...extra,
});
const b64 = (s: string) => Buffer.from(s).toString('base64url');
function raw(payload: string): string {
  const head = `${b64('{"alg":"HS256"}')}.${b64(payload)}`;
  return `${head}.${createHmac('sha256', SECRET).update(head).digest('base64url')}`;
}
const verify = (token: string, secrets = [SECRET]) => verifySsoToken(token, 'shop', secrets, rules);
const refusal = (code: string, message?: string) =>
  expect.objectContaining({ code, ...(message ? { message: expect.stringContaining(message) } : {}) });

describe('SSO tokens', () => {
  it('give the user, a trimmed name, context, jti and exp', async () => {
    const token = await sign(claims({ name: 'n'.repeat(150), context: { page: 'cart' }, jti: 'j-1' }));
    expect(await verify(token)).toEqual({
      sub: 'u-1',
      name: 'n'.repeat(100),
      context: { page: 'cart' },
      jti: 'j-1',
      exp: NOW + 300,
    });
  });

  it('take either secret of a rotation', async () => {
    expect((await verify(await sign(claims(), OTHER), [SECRET, OTHER])).sub).toBe('u-1');
  });

  it('live at most the allowed lifetime (exp - iat), whatever the dates', async () => {
    expect((await verify(await sign(claims({ exp: NOW + 600 })))).sub).toBe('u-1');
    await expect(verify(await sign(claims({ exp: NOW + 601 })))).rejects.toEqual(
      refusal('GW_SSO_INVALID', 'longer than 600 s'),
    );
    await expect(verify(await sign(claims({ iat: 0 })))).rejects.toEqual(
      refusal('GW_SSO_INVALID', 'longer than'),
    );
    await expect(verify(raw(`{"sub":"u","aud":"shop","iat":${NOW},"exp":1e400}`))).rejects.toEqual(
      refusal('GW_SSO_INVALID', 'longer than'),
    );
  });

  it('must carry iat and exp; exp past (beyond the skew) is GW_SSO_EXPIRED; iat ahead beyond the skew is refused', async () => {
    await expect(verify(await sign({ sub: 'u', aud: 'shop', exp: NOW + 60 }))).rejects.toEqual(
      refusal('GW_SSO_INVALID', 'iat'),
    );
    await expect(verify(await sign({ sub: 'u', aud: 'shop', iat: NOW }))).rejects.toEqual(
      refusal('GW_SSO_INVALID', 'exp'),
    );
    expect((await verify(await sign(claims({ iat: NOW - 100, exp: NOW - 10 })))).sub).toBe('u-1');
    await expect(verify(await sign(claims({ iat: NOW - 100, exp: NOW - 31 })))).rejects.toEqual(
      refusal('GW_SSO_EXPIRED'),
    );
    expect((await verify(await sign(claims({ iat: NOW + 30, exp: NOW + 90 })))).sub).toBe('u-1');
    await expect(verify(await sign(claims({ iat: NOW + 31, exp: NOW + 90 })))).rejects.toEqual(
      refusal('GW_SSO_INVALID', 'in the future'),
    );
  });

  it('refuse other algorithms, no signature, the wrong secret or audience, and non-JWTs', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    for (const token of [
      await new SignJWT(claims()).setProtectedHeader({ alg: 'HS512' }).sign(new TextEncoder().encode(SECRET)),
      await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256' }).sign(privateKey),
      new UnsecuredJWT(claims()).encode(),
      await sign(claims(), OTHER),
      await sign(claims({ aud: 'blog' })),
      'not.a.jwt',
    ])
      await expect(verify(token)).rejects.toEqual(refusal('GW_SSO_INVALID'));
    await expect(verifySsoToken(await sign(claims()), 'shop', [], rules)).rejects.toEqual(
      refusal('GW_SSO_INVALID', 'no secret'),
    );
  });

  it('refuse a sub that is not a usable id, and a malformed jti', async () => {
    await expect(verify(await sign(claims({ sub: '' })))).rejects.toEqual(refusal('GW_SSO_INVALID'));
    await expect(verify(await sign(claims({ sub: 'x'.repeat(129) })))).rejects.toEqual(
      refusal('GW_SSO_INVALID'),
    );
    await expect(verify(await sign(claims({ sub: 'vic\nx' })))).rejects.toEqual(
      refusal('GW_INVALID_IDENTIFIER'),
    );
    await expect(verify(await sign(claims({ jti: 42 })))).rejects.toEqual(refusal('GW_SSO_INVALID', 'jti'));
    await expect(verify(await sign(claims({ jti: 'a\u0000b' })))).rejects.toEqual(
      refusal('GW_SSO_INVALID', 'jti'),
    );
  });
});
