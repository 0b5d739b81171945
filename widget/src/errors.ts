import type { Texts } from './i18n.js';

/** A refusal from the gateway (`{"error":{"code","message"}}`), or a network failure (status 0). */
export class ChatError extends Error {
  status: number;
  code: string;
  /** Seconds from Retry-After, when the gateway sent one. */
  retryAfter?: number;

  constructor(status: number, code: string, retryAfter?: number) {
    super(code);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export const NETWORK = 'NETWORK';
export const networkError = () => new ChatError(0, NETWORK);

/** True for problems of the session itself, which a fresh token may cure. */
export const sessionProblem = (e: ChatError) =>
  e.status === 401 && (e.code === 'GW_SESSION_EXPIRED' || e.code === 'GW_UNAUTHENTICATED');

/** Builds a ChatError from a non-OK response, reading its JSON body when it has one. */
export async function errorOf(res: Response): Promise<ChatError> {
  let code = `HTTP_${res.status}`;
  try {
    const body = (await res.json()) as { error?: { code?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
  } catch {
    // not JSON: keep the status
  }
  const after = Math.ceil(Number(res.headers.get('retry-after')));
  return new ChatError(res.status, code, after > 0 ? after : undefined);
}

/** Any failure as a ChatError: what is not one is a network failure. */
export const asChatError = (e: unknown) => (e instanceof ChatError ? e : networkError());

type Line = Exclude<keyof Texts, 'unread' | 'rateLimited'>;

const LINES: Record<string, Line> = {
  GW_SESSION_EXPIRED: 'session',
  GW_UNAUTHENTICATED: 'session',
  GW_SSO_EXPIRED: 'session',
  GW_SSO_INVALID: 'session',
  GW_CONVERSATION_BUSY: 'busy',
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
