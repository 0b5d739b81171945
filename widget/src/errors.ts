// Type only: a renamed gateway code fails the widget's type check, and adds no bytes.
import type { ErrorCode } from '../../src/errors.js';
import type { Texts } from './i18n.js';

export const NETWORK = 'NETWORK';

/** A gateway code, a network failure, a bare HTTP status, or a bug of the widget's own. */
export type Code = ErrorCode | typeof NETWORK | `HTTP_${number}` | 'BUG';

/**
 * A refusal from the gateway (`{"error":{"code","message"}}`), a network failure (status 0), or
 * (status -1) a bug of the widget's own, never taken for a broken connection.
 */
export class ChatError extends Error {
  status: number;
  code: Code;
  /** Seconds from Retry-After, when the gateway sent one. */
  retryAfter?: number;

  constructor(status: number, code: Code, retryAfter?: number) {
    super(code);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export const networkError = () => new ChatError(0, NETWORK);

/** True for problems of the session itself, which a fresh token may cure. */
export const sessionProblem = (e: ChatError) =>
  e.status === 401 && (e.code === 'GW_SESSION_EXPIRED' || e.code === 'GW_UNAUTHENTICATED');

/** Builds a ChatError from a non-OK response, reading its JSON body when it has one. */
export async function errorOf(res: Response): Promise<ChatError> {
  let code: Code = `HTTP_${res.status}`;
  try {
    const body = (await res.json()) as { error?: { code?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code as ErrorCode;
  } catch {
    // not JSON: keep the status
  }
  const after = Math.ceil(Number(res.headers.get('retry-after')));
  return new ChatError(res.status, code, after > 0 ? after : undefined);
}

/**
 * Any failure as a ChatError. Network failures are ChatErrors already (status 0, made where a
 * fetch or a read fails); anything else thrown is a bug of the widget: logged for the page's
 * developer, and shown as a generic failure, never as "cannot reach the chat service".
 */
export function asChatError(e: unknown): ChatError {
  if (e instanceof ChatError) return e;
  console.error('coze-chat: unexpected error', e);
  return new ChatError(-1, 'BUG');
}

/** Endings after which the gateway may still recover the whole answer from Coze (a cut). */
export const isCut = (e: ChatError) =>
  e.code === 'GW_UPSTREAM_TRUNCATED' || e.code === 'GW_INTERRUPTED' || e.code === 'GW_UPSTREAM_TIMEOUT';

type Line = Exclude<keyof Texts, 'unread' | 'rateLimited'>;

const LINES: Partial<Record<Code, Line>> = {
  GW_SESSION_EXPIRED: 'session',
  GW_UNAUTHENTICATED: 'session',
  GW_SSO_EXPIRED: 'session',
  GW_SSO_INVALID: 'session',
  GW_CONVERSATION_BUSY: 'busy',
  GW_UPSTREAM_TRUNCATED: 'cut',
  GW_INTERRUPTED: 'cut',
  [NETWORK]: 'network',
};

/** The line a user reads for a failure: translated, never a raw code or a stack trace. */
export function describe(e: ChatError, t: Texts): string {
  if (e.code === 'GW_RATE_LIMITED') return t.rateLimited(e.retryAfter ?? 10);
  const s = e.status;
  const line: Line =
    LINES[e.code] ??
    (s === 401 || s === 403
      ? 'refused'
      : s >= 400 && s < 500 && s !== 404 && s !== 409
        ? 'invalid'
        : s >= 500
          ? 'unavailable'
          : 'generic');
  return t[line];
}
