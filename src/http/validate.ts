import { z } from 'zod';
import { GatewayError } from '../errors.js';

/** Parses a body with a zod schema; failures become GW_INVALID_REQUEST naming the field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new GatewayError('GW_INVALID_REQUEST', { message: 'The request body must be a JSON object.' });
  }
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue.path.join('.') || 'body';
  throw new GatewayError('GW_INVALID_REQUEST', {
    message: `Invalid field "${field}": ${issue.message}`,
    details: { field },
  });
}

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Whether a text has no NUL or other C0 controls but tab, CR and LF. */
export const isPrintable = (s: string): boolean => !CONTROL.test(s);

/** Printable text (see isPrintable) of at most `max` characters, for zod schemas. */
export const printable = (max: number) =>
  z.string().max(max).refine(isPrintable, 'must not contain control characters');
