// Coze failures -> GatewayError (coze-protocol.md §1.6, §1.7, §2.6). The Coze `msg` goes into the
// cause (logs), never into the user-facing message.
import { type ErrorCode, GatewayError } from '../errors.js';

/** §1.6: codes after which the JS Chat SDK refreshes its token; 4100 = invalid/expired token. */
const AUTH_CODES: ReadonlySet<number> = new Set([4100, 4101, 700012006]);
export const CODE_TOKEN_INVALID = 4100;
export const CODE_RATE_LIMITED = 4013;
export const CODE_CONVERSATION_BUSY = 4016;

/** Detail of an upstream failure, kept as the GatewayError's cause (for logs only). */
export class CozeUpstreamError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly cozeCode?: number,
    readonly cozeMsg?: string,
  ) {
    super(message);
    this.name = 'CozeUpstreamError';
  }
}

export interface CozeFailure {
  status: number; // HTTP status (200 for a code≠0 envelope or an in-stream error)
  code?: number; // Coze business code, when there was one
  msg?: string;
  logId?: string;
}

export function mapCozeFailure(f: CozeFailure): GatewayError {
  const code = f.code !== undefined && f.code !== 0 ? f.code : undefined;
  const cause = new CozeUpstreamError(
    `Coze answered HTTP ${f.status}${code === undefined ? '' : ` code ${code}`}${f.msg ? `: ${f.msg}` : ''}`,
    f.status,
    code,
    f.msg,
  );
  return new GatewayError(classify(f.status, code), { cause, logId: f.logId, cozeCode: code });
}

function classify(status: number, code: number | undefined): ErrorCode {
  if ((code !== undefined && AUTH_CODES.has(code)) || status === 401 || status === 403) return 'GW_COZE_AUTH';
  if (code === CODE_RATE_LIMITED || status === 429) return 'GW_COZE_RATE_LIMITED';
  if (code === CODE_CONVERSATION_BUSY) return 'GW_CONVERSATION_BUSY';
  if (status >= 500) return 'GW_UPSTREAM_UNAVAILABLE';
  return 'GW_COZE_REJECTED';
}

/** undici / Node error codes that mean "took too long". */
const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  'ABORT_ERR_TIMEOUT',
]);

/** A failure to talk to Coze at all (refused, reset, DNS, timeouts): UNAVAILABLE or TIMEOUT. */
export function mapNetworkError(err: unknown, logId?: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const timedOut = errorCodes(err).some((c) => TIMEOUT_CODES.has(c)) || isTimeoutAbort(err);
  return new GatewayError(timedOut ? 'GW_UPSTREAM_TIMEOUT' : 'GW_UPSTREAM_UNAVAILABLE', {
    cause: err,
    logId,
  });
}

export function badResponse(detail: string, logId?: string, status?: number): GatewayError {
  return new GatewayError('GW_UPSTREAM_BAD_RESPONSE', {
    cause: new CozeUpstreamError(detail, status),
    logId,
  });
}

function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

function isTimeoutAbort(err: unknown): boolean {
  return err instanceof Error && err.name === 'TimeoutError';
}
