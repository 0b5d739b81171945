import { createHash } from 'node:crypto';
import { GatewayError } from '../errors.js';
import type { Store } from '../state/index.js';
import { SIGNATURE_WINDOW_SECONDS } from './signature.js';

/**
 * Each signature is good once: it is remembered for twice the timestamp window (past it the
 * timestamp check refuses the request anyway). A second use is GW_REPLAYED. With Redis, this
 * holds across every instance.
 */
export async function useOnce(store: Store, appId: string, signature: string): Promise<void> {
  const digest = createHash('sha256').update(signature).digest('base64url');
  const fresh = await store.setIfAbsent(
    `replay:${appId}:${digest}`,
    '1',
    SIGNATURE_WINDOW_SECONDS * 2 * 1000,
  );
  if (!fresh) throw new GatewayError('GW_REPLAYED');
}
