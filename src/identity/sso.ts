import { decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { GatewayError } from '../errors.js';
import { checkIdentifier, isIdentifier } from './identifier.js';

export interface SsoClaims {
  sub: string;
  name?: string;
  context?: Record<string, string>;
  /** The token's id, when it has one (required for single-use tokens). */
  jti?: string;
  /** When the token expires, epoch seconds. */
  exp: number;
}

/** How far the host's clock may be from ours (an `iat` in the future, an `exp` just past). */
export const SSO_MAX_SKEW_SECONDS = 30;
const MAX_SKEW_SECONDS = SSO_MAX_SKEW_SECONDS;

export interface SsoRules {
  /** The longest lifetime (`exp - iat`) accepted, in seconds. */
  maxLifetimeSeconds: number;
  /** The clock, epoch ms (tests inject one). */
  now?: () => number;
}

/**
 * Verifies an SSO JWT the host signed for `appId`: HS256 only, with one of the app's secrets,
 * `aud` = the app id, `sub` present, `iat` and `exp` present, `exp` in the future, `iat` not in the
 * future (beyond SSO_MAX_SKEW_SECONDS), and `exp - iat` at most `rules.maxLifetimeSeconds` (a token
 * is a short-lived pass to make a session, not a session itself).
 * Anything else is 401: GW_SSO_EXPIRED for an expired token (the host can mint a new one),
 * GW_SSO_INVALID otherwise, with a message that says which rule failed.
 */
export async function verifySsoToken(
  token: string,
  appId: string,
  secrets: readonly string[],
  rules: SsoRules,
): Promise<SsoClaims> {
  const nowMs = (rules.now ?? Date.now)();
  const invalid = (why: string, cause?: unknown) =>
    new GatewayError('GW_SSO_INVALID', { message: `The SSO token is not valid: ${why}.`, cause });
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch (e) {
    throw invalid('it is not a JWT', e);
  }
  // Checked before any key is used: `none`, RS256 with our secret as a "public key", etc.
  if (alg !== 'HS256') throw invalid(`algorithm ${alg ?? 'none'} is not accepted (use HS256)`);
  if (secrets.length === 0) throw invalid('SSO is not enabled for this app (it has no secret)');

  let lastError: unknown;
  for (const secret of secrets) {
    try {
      const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
        algorithms: ['HS256'],
        audience: appId,
        requiredClaims: ['sub', 'exp', 'iat'],
        clockTolerance: MAX_SKEW_SECONDS,
        currentDate: new Date(nowMs),
      });
      const iat = payload.iat as number;
      const exp = payload.exp as number;
      if (iat > nowMs / 1000 + MAX_SKEW_SECONDS) throw invalid('it was issued in the future');
      // Also refuses an `exp` of 1e400 (Infinity once parsed) and an `iat` of 0.
      if (!(exp - iat <= rules.maxLifetimeSeconds)) {
        throw invalid(
          `it lives longer than ${rules.maxLifetimeSeconds} s (exp - iat); sign short-lived tokens`,
        );
      }
      if (payload.jti !== undefined && (typeof payload.jti !== 'string' || !isIdentifier(payload.jti))) {
        throw invalid('"jti" must be a string of 1 to 128 characters without control characters');
      }
      if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 128) {
        throw invalid('"sub" must be the user id (1 to 128 characters)');
      }
      checkIdentifier('sub', payload.sub);
      return {
        sub: payload.sub,
        name: typeof payload.name === 'string' ? payload.name.slice(0, 100) : undefined,
        context: payload.context as Record<string, string> | undefined,
        jti: payload.jti,
        exp,
      };
    } catch (e) {
      if (e instanceof GatewayError) throw e;
      lastError = e;
      // A bad signature may be the other secret's; any other failure is final.
      if (!(e instanceof errors.JWSSignatureVerificationFailed)) break;
    }
  }
  if (lastError instanceof errors.JWTExpired) {
    throw new GatewayError('GW_SSO_EXPIRED', { cause: lastError });
  }
  if (lastError instanceof errors.JWTClaimValidationFailed) {
    const claim = lastError.claim;
    const why =
      claim === 'aud' ? `its audience is not the app "${appId}"` : `claim "${claim}" ${lastError.reason}`;
    throw invalid(why, lastError);
  }
  if (lastError instanceof errors.JWSSignatureVerificationFailed)
    throw invalid('the signature does not match', lastError);
  throw invalid('it could not be verified', lastError);
}
