// HTTP to Coze on undici: one keep-alive Agent per client, X-Tt-Logid kept from every response,
// JSON envelopes read and mapped (coze-protocol.md §1.4, §1.5, §3.5).
import type { Readable } from 'node:stream';
import { Agent, buildConnector, request } from 'undici';
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

/** Streams one HTTP/2 connection carries before another is opened. */
export const STREAMS_PER_CONNECTION = 100;

/**
 * The connection pool to Coze. HTTP/1.1: a connection per running call. HTTP/2 (COZE_HTTP2): many
 * calls share a connection, so thousands of open answers hold tens of sockets, not thousands. It
 * is HTTP/2 only: a TLS server that does not agree to h2 fails the connection (GW_UPSTREAM_
 * UNAVAILABLE) instead of falling back, because HTTP/1.1 must never get the pipelined requests
 * HTTP/2 is given (a poll queued behind a running stream would wait for its end).
 */
export function createAgent(connectMs: number, o: { http2?: boolean } = {}): Agent {
  if (!o.http2) return new Agent({ connect: { timeout: connectMs }, keepAliveTimeout: 4_000 });
  // useH2c: plain http: URLs speak HTTP/2 with prior knowledge.
  const base = buildConnector({
    timeout: connectMs,
    allowH2: true,
    useH2c: true,
  } as buildConnector.BuildOptions);
  return new Agent({
    keepAliveTimeout: 4_000,
    allowH2: true,
    pipelining: STREAMS_PER_CONNECTION,
    connect: (opts, done) =>
      base(opts, (err, socket) => {
        if (err || !socket) return done(err ?? new Error('no socket'), null);
        if ((socket as { alpnProtocol?: string | false }).alpnProtocol === 'h2') return done(null, socket);
        socket.destroy();
        done(new Error(`${opts.hostname} did not agree to HTTP/2 (COZE_HTTP2 is on)`), null);
      }),
  });
}

export interface RawResponse {
  status: number;
  contentType: string;
  logId?: string;
  body: Readable & { text(): Promise<string> };
}

export interface SendOptions {
  agent: Agent;
  /** The agent speaks HTTP/2: calls may share a connection. */
  multiplexed?: boolean;
  url: URL;
  method: 'GET' | 'POST';
  token: string;
  body?: unknown;
  signal: AbortSignal;
  headersMs: number;
  /** 0 = no limit between body chunks (streams keep their own clocks). */
  bodyMs: number;
}

// undici turns a string body into a Buffer from Node's shared 8 KB pool and holds it until the
// response ends. A stream lasts seconds to minutes, so each held body pinned a whole pool slab
// (3 KB per open stream, measured at 2,000). Encoded here, a body has a buffer of its own.
const utf8 = new TextEncoder();

/** Sends one request; network failures become GatewayErrors (UNAVAILABLE / TIMEOUT). */
export async function send(o: SendOptions): Promise<RawResponse> {
  try {
    const res = await request(o.url, {
      method: o.method,
      dispatcher: o.agent,
      // undici puts a non-idempotent call (every POST) on a connection of its own; over HTTP/2
      // that only costs sockets. A call here is never retried by undici, so nothing is repeated.
      idempotent: o.multiplexed || undefined,
      signal: o.signal,
      headersTimeout: o.headersMs,
      bodyTimeout: o.bodyMs,
      headers: {
        authorization: `Bearer ${o.token}`, // §1.2
        ...(o.body === undefined ? {} : { 'content-type': 'application/json' }),
        accept: 'application/json, text/event-stream',
      },
      body: o.body === undefined ? undefined : utf8.encode(JSON.stringify(o.body)),
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
