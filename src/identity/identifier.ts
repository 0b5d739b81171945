import { GatewayError } from '../errors.js';

/**
 * Characters no identifier from outside may hold: C0 controls (tab, CR, LF and NUL included), DEL,
 * C1 controls, and the invisible direction marks and overrides that make an id look like another
 * (U+061C, U+200E/U+200F, U+202A-U+202E, U+2066-U+2069). Lone surrogates are refused too
 * (see isIdentifier).
 */
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What is wrong with `s` as an identifier of at most `max` characters; undefined when nothing is. */
export function identifierProblem(s: unknown, max = 128): string | undefined {
  if (typeof s !== 'string') return 'must be a string';
  if (s.length === 0 || s.length > max) return `must be 1 to ${max} characters`;
  if (FORBIDDEN.test(s) || LONE_SURROGATE.test(s))
    return 'must not contain control characters, direction marks or broken Unicode';
  return undefined;
}

/** Whether `s` is a usable identifier: 1 to `max` characters, none of them forbidden. */
export const isIdentifier = (s: unknown, max = 128): s is string => identifierProblem(s, max) === undefined;

/**
 * The one check for every identifier that comes from outside (a host's user id, an SSO `sub`, a
 * conversation or turn id, an app id, an Idempotency-Key…): returns it, or throws
 * 400 GW_INVALID_IDENTIFIER naming the field.
 */
export function checkIdentifier(field: string, s: unknown, max = 128): string {
  const problem = identifierProblem(s, max);
  if (problem === undefined) return s as string;
  throw new GatewayError('GW_INVALID_IDENTIFIER', {
    message: `Invalid identifier "${field}": ${problem}.`,
    details: { field },
  });
}
