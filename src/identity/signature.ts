import { createHmac, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../errors.js';

/** How far the signed timestamp may be from the gateway's clock. */
export const SIGNATURE_WINDOW_SECONDS = 300;

/** `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`: what the host's backend sends. */
export function signRequest(secret: string, timestamp: number | string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

/** The headers of a signed JSON POST (to /v1/sessions, or from the gateway to an HTTP tool). */
export function signedHeaders(
  secret: string,
  rawBody: string,
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-gateway-timestamp': String(timestamp),
    'x-gateway-signature': signRequest(secret, timestamp, rawBody),
  };
}

/**
 * Checks X-Gateway-Timestamp and X-Gateway-Signature over the raw body, in constant time, against
 * each active secret (two during a rotation). Throws GW_STALE_TIMESTAMP or GW_BAD_SIGNATURE.
 */
export function verifySignature(
  secrets: readonly string[],
  timestampHeader: string | undefined,
  signatureHeader: string | undefined,
  rawBody: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): void {
  if (!timestampHeader || !/^\d{1,12}$/.test(timestampHeader)) {
    throw new GatewayError('GW_STALE_TIMESTAMP', {
      message: 'X-Gateway-Timestamp must be the current time in unix seconds.',
    });
  }
  if (Math.abs(nowSeconds - Number(timestampHeader)) > SIGNATURE_WINDOW_SECONDS) {
    throw new GatewayError('GW_STALE_TIMESTAMP');
  }
  const given = Buffer.from(signatureHeader ?? '');
  let ok = false;
  for (const secret of secrets) {
    const expected = Buffer.from(signRequest(secret, timestampHeader, rawBody));
    // Every secret is tried (no early exit), so timing does not tell which one matched.
    if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true;
  }
  if (!ok) throw new GatewayError('GW_BAD_SIGNATURE');
}
