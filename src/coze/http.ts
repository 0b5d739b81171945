// HTTP to Coze on undici: one keep-alive Agent per client, X-Tt-Logid kept from every response,
// JSON envelopes read and mapped (coze-protocol.md §1.4, §1.5, §3.5).
import { Agent, request } from 'undici';
import type { GatewayError } from '../errors.js';
import { badResponse, mapCozeFailure, mapNetworkError } from './error-map.js';
import { isRecord } from './events.js';

export interface Timeouts {
  connectMs: number;
  headersMs: number;
  firstEventMs: number;
  idleMs: number;
  requestMs: number;
  /** Whole-request limit of a sync workflow run or resume (§5.1: the server gives up at 90 s). */
  workflowRunMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = {
  connectMs: 5_000, // §8.2: Python/Java connect timeout
  headersMs: 30_000,
  firstEventMs: 60_000,
  idleMs: 90_000,
  requestMs: 30_000,
  workflowRunMs: 100_000, // a little over the server's 90 s, so its own answer arrives first
};

export function createAgent(connectMs: number): Agent {
  return new Agent({ connect: { timeout: connectMs }, keepAliveTimeout: 4_000 });
}

export interface RawResponse {
  status: number;
  contentType: string;
  logId?: string;
  body: AsyncIterable<Uint8Array> & { text(): Promise<string>; destroy(error?: Error): unknown };
}

export interface SendOptions {
  agent: Agent;
  url: URL;
  method: 'GET' | 'POST';
  token: string;
  body?: unknown;
  signal: AbortSignal;
  headersMs: number;
  /** 0 = no limit between body chunks (streams keep their own clocks). */
  bodyMs: number;
}

/** Sends one request; network failures become GatewayErrors (UNAVAILABLE / TIMEOUT). */
export async function send(o: SendOptions): Promise<RawResponse> {
  try {
    const res = await request(o.url, {
      method: o.method,
      dispatcher: o.agent,
      signal: o.signal,
      headersTimeout: o.headersMs,
      bodyTimeout: o.bodyMs,
      headers: {
        authorization: `Bearer ${o.token}`, // §1.2
        ...(o.body === undefined ? {} : { 'content-type': 'application/json' }),
        accept: 'application/json, text/event-stream',
      },
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    });
    return {
      status: res.statusCode,
      contentType: headerOf(res.headers['content-type']) ?? '',
      logId: headerOf(res.headers['x-tt-logid']), // §1.5 (undici lower-cases header names)
      body: res.body,
    };
  } catch (e) {
    throw mapNetworkError(e);
  }
}

function headerOf(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export interface Envelope {
  json: Record<string, unknown>;
  logId?: string;
}

/** §1.4: reads `{code,msg,data,detail}`; a non-zero code or a failing HTTP status is thrown, mapped. */
export function readEnvelope(status: number, text: string, headerLogId: string | undefined): Envelope {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw failureWithoutBody(status, headerLogId, 'the response body is not JSON');
  }
  if (!isRecord(json))
    throw failureWithoutBody(status, headerLogId, 'the response body is not a JSON object');
  const detail = json.detail;
  const bodyLogId = isRecord(detail) && typeof detail.logid === 'string' ? detail.logid : undefined;
  const logId = headerLogId ?? bodyLogId; // §1.4: detail.logid duplicates the header
  const code = typeof json.code === 'number' ? json.code : undefined;
  const msg = typeof json.msg === 'string' ? json.msg : undefined;
  if (status < 200 || status > 299 || (code !== undefined && code !== 0)) {
    throw mapCozeFailure({ status, code, msg, logId });
  }
  if (code === undefined) throw badResponse('the JSON response has no `code`', logId, status);
  return { json, logId };
}

function failureWithoutBody(status: number, logId: string | undefined, detail: string): GatewayError {
  // A gateway's HTML error page on 5xx / 401 / 429 is still that status, not a "bad response".
  if (status >= 500 || status === 401 || status === 403 || status === 429)
    return mapCozeFailure({ status, logId });
  return badResponse(detail, logId, status);
}

/** Reads a whole body; a limit or the caller's signal stops it (failure mapped by the caller). */
export async function readText(res: RawResponse): Promise<string> {
  try {
    return await res.body.text();
  } catch (e) {
    throw mapNetworkError(e, res.logId);
  }
}
