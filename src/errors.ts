// The one table of gateway error codes (in the manner of fastify's lib/errors.js).
// Each code has an HTTP status and the message a user sees. The code itself is the SSE `error`
// event's `code` and the metric label. Causes and Coze log ids stay in logs, never in `message`.
// This module is a leaf: every layer may import it, it imports nothing of the project.

export const ERRORS = {
  // Requests the gateway refuses.
  GW_INVALID_JSON: { status: 400, message: 'The request body is not valid JSON.' },
  GW_INVALID_REQUEST: { status: 400, message: 'The request is not valid.' },
  GW_INVALID_IDENTIFIER: {
    status: 400,
    message: 'An identifier holds characters it may not (control characters, direction marks).',
  },
  GW_MESSAGE_TOO_LONG: { status: 400, message: 'The message is too long.' },
  GW_BODY_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  GW_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send the request body as application/json.' },
  GW_REQUEST_TIMEOUT: { status: 408, message: 'The request took too long to arrive.' },
  GW_HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large.' },
  GW_UNAUTHENTICATED: { status: 401, message: 'A valid session token is required.' },
  GW_SESSION_EXPIRED: { status: 401, message: 'The session has expired; start a new one.' },
  GW_BAD_SIGNATURE: { status: 401, message: 'The request signature is not valid.' },
  GW_STALE_TIMESTAMP: { status: 401, message: 'The request timestamp is too far from the current time.' },
  GW_REPLAYED: { status: 401, message: 'This signed request was used before; sign each request afresh.' },
  GW_SSO_INVALID: { status: 401, message: 'The SSO token is not valid.' },
  GW_SSO_EXPIRED: { status: 401, message: 'The SSO token has expired; sign in again.' },
  GW_VISITORS_DISABLED: { status: 403, message: 'Anonymous visitors are not allowed here.' },
  GW_ORIGIN_FORBIDDEN: { status: 403, message: 'This page is not allowed to use the chat.' },
  GW_IP_FORBIDDEN: { status: 403, message: 'This address may not create sessions.' },
  GW_ADMIN_FORBIDDEN: { status: 403, message: 'A valid admin token is required.' },
  GW_UNKNOWN_APP: { status: 404, message: 'No such app.' },
  GW_TOO_MANY_CONVERSATIONS: {
    status: 409,
    message: 'You have too many conversations; continue an existing one.',
  },
  GW_RATE_LIMITED: { status: 429, message: 'Too many messages; please wait a moment.' },
  GW_TOO_MANY_STREAMS: {
    status: 429,
    message: 'Too many answers are open at once; close one (another tab?) and try again.',
  },
  GW_NOT_FOUND: { status: 404, message: 'Not found.' },
  GW_CONVERSATION_BUSY: {
    status: 409,
    message: 'An answer is still being written in this conversation; try again when it has finished.',
  },
  // Coze, and the way to it.
  GW_COZE_AUTH: {
    status: 502,
    message: 'The assistant is not reachable right now (credentials were refused).',
  },
  GW_COZE_REJECTED: { status: 502, message: 'The assistant refused the request.' },
  GW_COZE_RATE_LIMITED: { status: 503, message: 'The assistant is busy; please try again in a moment.' },
  GW_CHAT_FAILED: { status: 502, message: 'The assistant could not answer this time; please try again.' },
  GW_UPSTREAM_UNAVAILABLE: { status: 502, message: 'The assistant is not reachable right now.' },
  GW_CIRCUIT_OPEN: {
    status: 503,
    message: 'The assistant is not reachable right now; please try again shortly.',
  },
  GW_UPSTREAM_TIMEOUT: { status: 504, message: 'The assistant took too long to answer.' },
  GW_UPSTREAM_TRUNCATED: { status: 502, message: 'The answer was cut off before it was finished.' },
  GW_UPSTREAM_BAD_RESPONSE: {
    status: 502,
    message: 'The assistant sent a response the gateway could not read.',
  },
  // The gateway itself.
  GW_LEDGER_UNAVAILABLE: { status: 503, message: 'The gateway cannot record conversations right now.' },
  GW_STORE_UNAVAILABLE: { status: 503, message: 'The gateway state store is not reachable right now.' },
  GW_INTERRUPTED: { status: 503, message: 'The answer was interrupted when the gateway restarted.' },
  GW_CANCELED: { status: 409, message: 'The answer was canceled.' },
  GW_SHUTTING_DOWN: { status: 503, message: 'The gateway is restarting; please try again in a moment.' },
  GW_INTERNAL: { status: 500, message: 'Something went wrong in the gateway.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export interface GatewayErrorOptions {
  /** Replaces the table's user-facing message (must still be safe to show a user). */
  message?: string;
  cause?: unknown;
  /** Coze's X-Tt-Logid of the call that failed, when there was one. */
  logId?: string;
  /** Coze's business error code, when Coze gave one. */
  cozeCode?: number;
  /** Extra fields for the JSON body (e.g. validation issues); must be safe to show. */
  details?: Record<string, unknown>;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly logId?: string;
  readonly cozeCode?: number;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, options: GatewayErrorOptions = {}) {
    super(
      options.message ?? ERRORS[code].message,
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.name = 'GatewayError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.logId = options.logId;
    this.cozeCode = options.cozeCode;
    this.details = options.details;
  }

  /** The body a client sees: `{ error: { code, message, ...details } }`. */
  toJSON(): { error: { code: ErrorCode; message: string } & Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}

export function isGatewayError(e: unknown): e is GatewayError {
  return e instanceof GatewayError;
}

/** Any thrown value as a GatewayError (unknown failures become GW_INTERNAL, cause kept for logs). */
export function toGatewayError(e: unknown): GatewayError {
  return isGatewayError(e) ? e : new GatewayError('GW_INTERNAL', { cause: e });
}
