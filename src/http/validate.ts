import { z } from 'zod';
import { type ErrorCode, GatewayError } from '../errors.js';
import { identifierProblem } from '../identity/index.js';

/**
 * Parses a body with a zod schema; failures become GW_INVALID_REQUEST naming the field (or the code
 * a check names, e.g. GW_INVALID_IDENTIFIER from `identifier`).
 */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new GatewayError('GW_INVALID_REQUEST', { message: 'The request body must be a JSON object.' });
  }
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue.path.join('.') || 'body';
  const code =
    (issue.code === 'custom' && (issue.params?.gw as ErrorCode | undefined)) || 'GW_INVALID_REQUEST';
  throw new GatewayError(code, {
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

/**
 * An identifier from outside in a body (user id, app id, conversation id…), checked by the one
 * rule of identity's `identifierProblem`: 400 GW_INVALID_IDENTIFIER when it breaks it.
 */
export const identifier = (max = 128) =>
  z.string().superRefine((s, ctx) => {
    const problem = identifierProblem(s, max);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, params: { gw: 'GW_INVALID_IDENTIFIER' } });
  });
