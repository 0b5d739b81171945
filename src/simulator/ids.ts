// Identifier, log-id and clock helpers shaped like Coze's (protocol §1.3, §1.5).
import { randomBytes } from 'node:crypto';

/** Unix seconds, the unit of every Coze timestamp. */
export function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Returns a generator of strictly increasing 19-digit decimal id strings (Snowflake-like).
 * Increasing ids make "created earlier" and "smaller id" agree, which the message cursors rely on.
 */
export function createIdGenerator(): () => string {
  let next = 7_500_000_000_000_000_000n + BigInt(Date.now()) * 1000n;
  return () => {
    next += BigInt(1 + (randomBytes(1)[0] ?? 0));
    return next.toString();
  };
}

/** A REST log id: YYYYMMDDHHMMSS + 20 upper-case hex characters (34 characters). */
export function newLogId(date: Date = new Date()): string {
  const iso = date.toISOString(); // 2025-01-06T17:20:24.123Z
  const stamp = iso.slice(0, 19).replace(/[-T:]/g, '');
  return stamp + randomBytes(10).toString('hex').toUpperCase();
}

/** An opaque random token with a prefix, e.g. `czs_…`. */
export function randomToken(prefix: string, bytes = 32): string {
  return prefix + randomBytes(bytes).toString('base64url');
}

/** A tool-call id: opaque base64-ish like the documented `BUJJF0dAQ0NA…SUI=`. */
export function newToolCallId(): string {
  return randomBytes(24).toString('base64');
}
