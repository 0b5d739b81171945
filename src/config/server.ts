// The HTTP server's own settings that need more than a number: which proxies are trusted, and
// timeouts that must agree with each other.
import { isIP } from 'node:net';

/** Thrown as a ConfigError by load.ts (this file stays free of it to avoid an import cycle). */
export class ServerSettingError extends Error {}

/**
 * `TRUST_PROXY`: which peers may tell the client's address in `X-Forwarded-For`.
 * - unset, `false`, `0`: nobody (the socket's address is the client's);
 * - a comma list of addresses or CIDR ranges (or proxy-addr's names `loopback`, `linklocal`,
 *   `uniquelocal`): the proxies you run. The client's address is then the one the last trusted
 *   proxy saw, whatever a client writes into the header itself.
 * `true` (trust everyone) lets any client choose its own address: refused, with the value to use.
 * A hop count is refused too: it trusts whoever connects, so a client that reaches the gateway
 * directly chooses its address (fastify 5 itself treats a number as trusting nobody).
 */
export function parseTrustProxy(raw: string | undefined): false | string[] {
  const v = (raw ?? '').trim();
  if (v === '' || /^(false|no|off|0)$/i.test(v)) return false;
  if (/^(true|yes|on)$/i.test(v)) {
    throw new ServerSettingError(
      `TRUST_PROXY=${v} would take any client's own X-Forwarded-For as its address (rate limits and ip_allowlist become the client's choice); name the proxies you run instead, e.g. TRUST_PROXY=127.0.0.1 for nginx on the same host, TRUST_PROXY=10.0.0.0/8 for a load balancer in your network (addresses or CIDR ranges, comma-separated)`,
    );
  }
  if (/^\d+$/.test(v)) {
    throw new ServerSettingError(
      `TRUST_PROXY=${v}: a hop count would trust whoever connects; name your proxies' addresses instead, e.g. TRUST_PROXY=127.0.0.1 for nginx on the same host`,
    );
  }
  const entries = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const e of entries) {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(e)) continue;
    const [addr, bits, extra] = e.split('/');
    const family = isIP(addr);
    const max = family === 6 ? 128 : 32;
    const okBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max);
    if (family === 0 || !okBits || extra !== undefined) {
      throw new ServerSettingError(
        `TRUST_PROXY: "${e}" is not an address or CIDR range; list your proxies like TRUST_PROXY=127.0.0.1,10.0.0.0/8`,
      );
    }
  }
  return entries;
}

export interface ServerTimeouts {
  /** Whole request (headers and body) must arrive within this (node's requestTimeout). */
  requestMs: number;
  /** Headers must arrive within this (node's headersTimeout). */
  headersMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number;
  /** A connection with no traffic either way for this long is closed (node's server.timeout). */
  idleMs: number;
}

export function checkTimeouts(t: ServerTimeouts): ServerTimeouts {
  if (t.headersMs > t.requestMs) {
    throw new ServerSettingError(
      `HEADERS_TIMEOUT_MS (${t.headersMs}) must not be longer than REQUEST_TIMEOUT_MS (${t.requestMs}); lower it or raise REQUEST_TIMEOUT_MS`,
    );
  }
  return t;
}
