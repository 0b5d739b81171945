// Authorized Coze calls: JSON envelope calls with a whole-request limit, and stream calls that resolve
// at the response headers. A 4100 on an OAuth token invalidates it and retries once (§1.6, §8.1).
import { GatewayError, isGatewayError } from '../errors.js';
import { createChatStream } from './chat-stream.js';
import { badResponse, CODE_TOKEN_INVALID, CozeUpstreamError } from './error-map.js';
import type { StreamSource } from './event-stream.js';
import { createAgent, type Envelope, readEnvelope, readText, send, type Timeouts } from './http.js';
import type { TokenProvider } from './token-provider.js';
import type { ChatStream } from './types.js';

export interface CallSpec {
  sessionName: string;
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  signal?: AbortSignal;
  /** JSON calls: the whole-request limit instead of `requestMs` (e.g. a sync workflow run, §5.1). */
  timeoutMs?: number;
}

export interface Transport {
  json(spec: CallSpec): Promise<Envelope>;
  /** A chat or chatflow stream (§3.3, §5.4). */
  stream(spec: CallSpec): Promise<ChatStream>;
  /** Any event stream: `wrap` reads the body once the response is known to be SSE (§3.5). */
  open<S>(spec: CallSpec, wrap: (src: StreamSource) => S): Promise<S>;
}

export interface TransportOptions {
  baseUrl: string;
  tokens: TokenProvider;
  timeouts: Timeouts;
  /** HTTP/2 only, many calls to a connection (COZE_HTTP2). */
  http2?: boolean;
  onResponse?(info: { path: string; status: number; ms: number; logId?: string }): void;
}

export function createTransport(o: TransportOptions): Transport {
  const { timeouts: t } = o;
  const agent = createAgent(t.connectMs, { http2: o.http2 });
  const multiplexed = o.http2 === true;

  function urlOf(spec: CallSpec): URL {
    const url = new URL(spec.path, o.baseUrl);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    return url;
  }

  async function authorized<T>(spec: CallSpec, run: (token: string) => Promise<T>): Promise<T> {
    const first = await o.tokens.getToken(spec.sessionName);
    try {
      return await run(first.token);
    } catch (e) {
      if (!(isGatewayError(e) && e.cozeCode === CODE_TOKEN_INVALID && first.source === 'oauth')) throw e;
      await o.tokens.invalidate(spec.sessionName);
      return run((await o.tokens.getToken(spec.sessionName)).token);
    }
  }

  /** The caller's abort wins over any mapping; our own limit becomes GW_UPSTREAM_TIMEOUT. */
  function rethrow(e: unknown, spec: CallSpec, limit: AbortSignal): never {
    if (spec.signal?.aborted) throw spec.signal.reason;
    if (limit.aborted) {
      const logId = isGatewayError(e) ? e.logId : undefined;
      throw new GatewayError('GW_UPSTREAM_TIMEOUT', {
        logId,
        cause: new CozeUpstreamError(`${spec.path} timed out`),
      });
    }
    throw e;
  }

  function report(spec: CallSpec, status: number, started: number, logId?: string): void {
    o.onResponse?.({ path: spec.path, status, ms: performance.now() - started, logId });
  }

  const open = <S>(spec: CallSpec, wrap: (src: StreamSource) => S): Promise<S> =>
    authorized(spec, async (token) => {
      // Our own controller, which the caller's signal also aborts (cheaper than AbortSignal.any,
      // and a stream that ends normally is never aborted: see event-stream.ts).
      const own = new AbortController();
      const caller = spec.signal;
      const forward = () => own.abort(caller?.reason);
      if (caller?.aborted) forward();
      else caller?.addEventListener('abort', forward, { once: true });
      const unforward = () => caller?.removeEventListener('abort', forward);
      const started = performance.now();
      let res: Awaited<ReturnType<typeof send>>;
      try {
        res = await send({
          agent,
          multiplexed,
          url: urlOf(spec),
          method: spec.method,
          token,
          body: spec.body,
          signal: own.signal,
          headersMs: t.headersMs,
          bodyMs: 0, // the stream keeps its own first-event and idle clocks
        });
      } catch (e) {
        unforward();
        return rethrow(e, spec, own.signal);
      }
      report(spec, res.status, started, res.logId);
      const ok = res.status >= 200 && res.status < 300;
      if (ok && res.contentType.includes('text/event-stream')) {
        return wrap({
          body: res.body,
          logId: res.logId,
          firstEventMs: t.firstEventMs,
          idleMs: t.idleMs,
          cancel: () => own.abort(),
          release: unforward,
          signal: spec.signal,
        });
      }
      unforward();
      // §3.5 (and §5.2): a pre-flight failure is a JSON envelope instead of a stream.
      const limit = AbortSignal.timeout(t.requestMs);
      limit.addEventListener('abort', () => own.abort(), { once: true });
      try {
        readEnvelope(res.status, await readText(res), res.logId);
      } catch (e) {
        return rethrow(e, spec, limit);
      }
      throw badResponse(`expected an event stream, got "${res.contentType}"`, res.logId, res.status);
    });

  return {
    open,
    stream: (spec) => open(spec, createChatStream),
    json: (spec) =>
      authorized(spec, async (token) => {
        const ms = spec.timeoutMs ?? t.requestMs;
        const limit = AbortSignal.timeout(ms);
        const started = performance.now();
        try {
          const res = await send({
            agent,
            multiplexed,
            url: urlOf(spec),
            method: spec.method,
            token,
            body: spec.body,
            signal: spec.signal ? AbortSignal.any([spec.signal, limit]) : limit,
            // A sync workflow run sends its headers only when it has finished (§5.1).
            headersMs: spec.timeoutMs === undefined ? t.headersMs : Math.max(t.headersMs, ms),
            bodyMs: ms,
          });
          const text = await readText(res);
          report(spec, res.status, started, res.logId);
          return readEnvelope(res.status, text, res.logId);
        } catch (e) {
          return rethrow(e, spec, limit);
        }
      }),
  };
}
