// How a configuration mistake is told: one line naming the setting, what it got (a secret only by
// its length), what is wrong and what to do.
import type { z } from 'zod';

/** A setting is wrong. The message is one line: the setting, what it got, what to do. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** ` (got "…")`: the value as given, shortened; a secret shows only its length. */
export function got(value: unknown, secret = false): string {
  if (value === undefined) return '';
  if (secret) {
    const n = typeof value === 'string' ? value.length : JSON.stringify(value)?.length;
    return ` (got a value of ${n} characters, not shown)`;
  }
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return ` (got ${text.length > 80 ? `${text.slice(0, 77)}...` : text})`;
}

/** A URL as given with any password between `//` and `@` replaced by `***`. */
export function withoutPassword(raw: string): string {
  return raw.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@');
}

const kinds: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping of keys to values',
  record: 'a mapping of keys to values',
};

/**
 * Zod's issues phrased as a predicate that follows the setting's name ("must be …"), for the
 * issues that have no message of their own in the schemas.
 */
export function predicate(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is missing' : `must be ${kinds[issue.expected] ?? issue.expected}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `must list at least ${issue.minimum}`
        : issue.origin === 'string'
          ? `must be at least ${issue.minimum} characters`
          : `must be at least ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `must list at most ${issue.maximum}`
        : issue.origin === 'string'
          ? `must be at most ${issue.maximum} characters`
          : `must be at most ${issue.maximum}`;
    case 'unrecognized_keys':
      return `has ${issue.keys.length === 1 ? 'an unknown key' : 'unknown keys'} ${issue.keys
        .map((k) => `"${k}"`)
        .join(', ')}; check the spelling against the README`;
    case 'invalid_value':
      return `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
    case 'invalid_union':
      return 'is none of the allowed forms; see the README';
    case 'invalid_format':
      return issue.format === 'url' ? 'must be a URL' : `must be a ${issue.format}`;
    default:
      return 'is not valid; see the README';
  }
}
