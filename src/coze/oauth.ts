// The JWT-bearer token exchange (coze-protocol.md §2.2 step 3, §2.6). OAuth endpoints have no envelope.
import type { Agent } from 'undici';
import { GatewayError } from '../errors.js';
import { badResponse, CozeUpstreamError, mapCozeFailure } from './error-map.js';
import { isRecord } from './events.js';
import { readText, send } from './http.js';

export const TOKEN_PATH = '/api/permission/oauth2/token';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const EXCHANGE_TIMEOUT_MS = 15_000;

export interface ExchangedToken {
  accessToken: string;
  expiresAt: number; // epoch ms
}

export async function exchangeJwt(o: {
  agent: Agent;
  baseUrl: string;
  assertion: string;
  durationSeconds: number;
}): Promise<ExchangedToken> {
  const signal = AbortSignal.timeout(EXCHANGE_TIMEOUT_MS);
  const res = await send({
    agent: o.agent,
    url: new URL(TOKEN_PATH, o.baseUrl),
    method: 'POST',
    token: o.assertion, // only the token endpoint takes the signed JWT as bearer (§1.2)
    body: { grant_type: JWT_BEARER, duration_seconds: o.durationSeconds },
    signal,
    headersMs: EXCHANGE_TIMEOUT_MS,
    bodyMs: EXCHANGE_TIMEOUT_MS,
  });
  const text = await readText(res);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    if (res.status >= 500 || res.status === 429)
      throw mapCozeFailure({ status: res.status, logId: res.logId });
    if (res.status >= 200 && res.status < 300)
      throw badResponse('token response is not JSON', res.logId, res.status);
    throw oauthError(res.status, res.logId, 'non-JSON error body');
  }
  const body = isRecord(json) ? json : {};
  if (res.status >= 200 && res.status < 300 && typeof body.access_token === 'string') {
    if (typeof body.expires_in !== 'number') throw badResponse('token response lacks expires_in', res.logId);
    return { accessToken: body.access_token, expiresAt: expiresAtMs(body.expires_in) };
  }
  // §2.6: SDKs read error_code (Python, Go), error (JS), error_message / error_description.
  const errorCode = str(body.error_code) ?? str(body.error);
  const message = str(body.error_message) ?? str(body.error_description) ?? str(body.msg) ?? '';
  if (errorCode === undefined && res.status >= 500)
    throw mapCozeFailure({ status: res.status, logId: res.logId });
  throw oauthError(res.status, res.logId, `${errorCode ?? 'no error_code'}: ${message}`);
}

/** §2.2: `expires_in` is an absolute epoch in seconds. A small value can only be a duration; read it so. */
function expiresAtMs(expiresIn: number): number {
  return expiresIn < 1_000_000_000 ? Date.now() + expiresIn * 1000 : expiresIn * 1000;
}

/** §2.6: a refused exchange is an auth failure; `internal_error` / 5xx means Coze is in trouble. */
function oauthError(status: number, logId: string | undefined, detail: string): GatewayError {
  return new GatewayError(status >= 500 ? 'GW_UPSTREAM_UNAVAILABLE' : 'GW_COZE_AUTH', {
    logId,
    cause: new CozeUpstreamError(`OAuth token exchange failed (HTTP ${status}) ${detail}`, status),
  });
}

function str(x: unknown): string | undefined {
  return typeof x === 'string' && x !== '' ? x : undefined;
}
