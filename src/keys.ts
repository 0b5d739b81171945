/**
 * Composite keys (Store keys, cache keys, lock names) built from parts that come from outside.
 *
 * Each part is written as `<length>.<part>`, so the encoding is prefix-free: two different tuples
 * can never produce the same key, whatever characters the parts hold (`:`, newlines, anything).
 * Joining with a separator is not enough: `("dana:order", "42")` and `("dana", "order:42")` both
 * join to `dana:order:42`.
 */
export function compositeKey(kind: string, ...parts: readonly string[]): string {
  let key = kind;
  for (const part of parts) key += `:${part.length}.${part}`;
  return key;
}
