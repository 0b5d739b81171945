import { createHash } from 'node:crypto';
import { GatewayError } from '../errors.js';
import { compositeKey } from '../keys.js';
import type { Store } from '../state/index.js';
import { SIGNATURE_WINDOW_SECONDS } from './signature.js';

/**
 * Each signature is good once. It is remembered until its timestamp has left the window on the far
 * side (`timestamp + window`, plus a second for the clock's rounding and one of margin), so a replay
 * is refused for as long as the timestamp check would let it through, whether the signature was
 * first used at the window's early edge (dated in the future) or late one. A second use is
 * GW_REPLAYED. With Redis, this holds across every instance and every restart.
 *
 * A store in memory forgets everything at a restart: a signature dated before the store was made
 * (within the window) may have been used before it, so it is refused as possibly replayed; the
 * host signs a fresh one (docs/decisions/0023). What this cannot see: a signature dated in the
 * future (a host clock ahead) that the previous process accepted. Redis has no such gap.
 */
export async function useOnce(
  store: Store,
  appId: string,
  signature: string,
  timestampSeconds: number,
  now: () => number = Date.now,
): Promise<void> {
  // Dated in a second wholly before the store was made (one of its own second could be a request
  // signed just now; the process takes longer than that to restart).
  if (store.remembersSince !== undefined && (timestampSeconds + 1) * 1000 <= store.remembersSince) {
    throw new GatewayError('GW_REPLAYED', {
      message:
        'This signed request is older than the gateway process and may have been used; sign it afresh.',
    });
  }
  const digest = createHash('sha256').update(signature).digest('base64url');
  const until = (timestampSeconds + SIGNATURE_WINDOW_SECONDS + 2) * 1000;
  const fresh = await store.setIfAbsent(
    compositeKey('replay', appId, digest),
    '1',
    Math.max(1000, until - now()),
  );
  if (!fresh) throw new GatewayError('GW_REPLAYED');
}

/**
 * A single-use SSO token (the app's `sso.single_use`): its `jti` is remembered until the token
 * expires (plus the accepted clock skew); a second exchange is GW_REPLAYED.
 */
export async function useSsoTokenOnce(
  store: Store,
  appId: string,
  claims: { jti?: string; exp: number },
  skewSeconds: number,
  now: () => number = Date.now,
): Promise<void> {
  if (claims.jti === undefined) {
    throw new GatewayError('GW_SSO_INVALID', {
      message: 'The SSO token is not valid: this app takes single-use tokens, and it has no "jti".',
    });
  }
  const until = (claims.exp + skewSeconds + 1) * 1000;
  const fresh = await store.setIfAbsent(
    compositeKey('sso-jti', appId, claims.jti),
    '1',
    Math.max(1000, until - now()),
  );
  if (!fresh) {
    throw new GatewayError('GW_REPLAYED', { message: 'This SSO token was used before; sign in again.' });
  }
}
