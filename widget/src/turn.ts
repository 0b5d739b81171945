// One message and its answer: POST /v1/chat/stream, then, if the stream breaks, resume it from the
// last event seen (GET /v1/turns/:id/events + Last-Event-ID) or read the recorded answer from the
// conversation's messages, polling while the turn is still pending. The user sees the answer once.
// A cut (the browser's connection broke, or the gateway lost Coze's stream and may still recover
// the answer) is followed until the turn's recorded ending arrives; only then is it a failure.
import type { GatewayClient } from './api.js';
import { ChatError, type Code, isCut } from './errors.js';
import { readEvents } from './sse.js';

export interface TurnRequest {
  message: string;
  conversationId?: string;
  /** Idempotency-Key: one per message, the same on a retry of that message. */
  key: string;
}

export interface TurnHandlers {
  onTurn(turnId: string, conversationId: string): void;
  /** The whole answer so far. */
  onText(text: string): void;
  /** A tool runs in the gateway (true) or has finished (false). */
  onTool?(running: boolean): void;
  /** The answer was cut off; the turn is being followed again ("reconnecting…"). */
  onCut?(): void;
}

export interface TurnResult {
  answer: string;
  suggestions: string[];
  /** Set when the turn ended without an answer (an `error` event or a failed record). */
  error?: ChatError;
}

interface Progress {
  turnId?: string;
  conversationId?: string;
  lastId?: string;
  text: string;
  result?: TurnResult;
  /** The turn ended in a cut that the gateway may still recover from (then followed again). */
  cut?: ChatError;
}

interface RecordedMessage {
  turn_id: string;
  role: string;
  content: string;
  status?: string;
  error_code?: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long a cut turn is followed for its recovered ending (the gateway's recovery runs every 15 s). */
const CUT_PATIENCE_MS = 60_000;

/** Records how the turn ended; a cut is not an ending yet, only a reason to keep following. */
function settle(p: Progress, r: TurnResult, status: unknown): void {
  if (status === 'interrupted' && r.error && isCut(r.error)) p.cut = r.error;
  else p.result = r;
}

/** Waits until the browser says it is online. */
export function whenOnline(): Promise<void> {
  if (navigator.onLine) return Promise.resolve();
  return new Promise((r) => addEventListener('online', () => r(), { once: true }));
}

async function consume(res: Response, p: Progress, h: TurnHandlers): Promise<void> {
  if (!res.body) return;
  for await (const ev of readEvents(res.body)) {
    const data = JSON.parse(ev.data) as Record<string, unknown>;
    // After a cut, the ending is asked for again: the event before it is the last one seen.
    if (ev.id) p.lastId = ev.event === 'error' ? String(Number(ev.id) - 1) : ev.id;
    if (ev.event === 'turn') {
      p.turnId = String(data.turn_id);
      p.conversationId = String(data.conversation_id);
      h.onTurn(p.turnId, p.conversationId);
    } else if (ev.event === 'tool') {
      h.onTool?.(data.status === 'running');
    } else if (ev.event === 'delta') {
      p.text += String(data.text ?? '');
      h.onText(p.text);
    } else if (ev.event === 'done') {
      const suggestions = Array.isArray(data.suggestions) ? data.suggestions.map(String) : [];
      p.cut = undefined;
      p.result = { answer: String(data.answer ?? p.text), suggestions };
      return;
    } else if (ev.event === 'error') {
      settle(
        p,
        { answer: p.text, suggestions: [], error: new ChatError(502, data.code as Code) },
        data.status,
      );
      return;
    }
  }
}

/** The recorded answer of the turn (and its status), polled until it is no longer pending. */
async function recorded(api: GatewayClient, p: Progress): Promise<[TurnResult, string | undefined]> {
  const path = `/v1/conversations/${encodeURIComponent(p.conversationId ?? '')}/messages?limit=5`;
  for (let wait = 500; ; wait = Math.min(wait * 1.5, 3000)) {
    const { messages } = await api.json<{ messages: RecordedMessage[] }>(path);
    const m = messages.find((x) => x.turn_id === p.turnId && x.role === 'assistant');
    if (m && m.status !== 'pending') {
      if (m.status === 'completed') return [{ answer: m.content, suggestions: [] }, m.status];
      const error = new ChatError(502, (m.error_code ?? 'GW_CHAT_FAILED') as Code);
      return [{ answer: m.content, suggestions: [], error }, m.status];
    }
    await sleep(wait);
  }
}

/** Picks the stream up where it broke: replayed events, else the recorded answer. */
async function resume(
  api: GatewayClient,
  req: TurnRequest | null,
  p: Progress,
  h: TurnHandlers,
): Promise<void> {
  await whenOnline();
  if (!p.turnId && req) {
    // No `turn` event yet: the same Idempotency-Key makes the gateway answer for the same message.
    await consume(await post(api, req), p, h);
    return;
  }
  let res: Response | null = null;
  try {
    res = await api.request(`/v1/turns/${encodeURIComponent(p.turnId ?? '')}/events`, {
      headers: { accept: 'text/event-stream', 'last-event-id': p.lastId ?? '0' },
    });
  } catch (e) {
    if (!(e instanceof ChatError) || e.status === 0) throw e;
    // 404 (not replayable here) or another refusal: the ledger has the answer.
  }
  if (res?.headers.get('content-type')?.startsWith('text/event-stream')) await consume(res, p, h);
  else settle(p, ...(await recorded(api, p)));
}

function post(api: GatewayClient, req: TurnRequest): Promise<Response> {
  const body = req.conversationId
    ? { message: req.message, conversation_id: req.conversationId }
    : { message: req.message };
  return api.request('/v1/chat/stream', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'idempotency-key': req.key },
    body: JSON.stringify(body),
  });
}

/**
 * Follows a turn whose stream broke (or was never read) to its end. Network failures are retried
 * (5 in a row at most); a cut is followed for CUT_PATIENCE_MS; anything that is not a ChatError is
 * a bug and is thrown as it is.
 */
async function finish(
  api: GatewayClient,
  req: TurnRequest | null,
  p: Progress,
  h: TurnHandlers,
): Promise<TurnResult> {
  const since = Date.now();
  for (let failures = 0, wait = 0; !p.result; wait = Math.min((wait || 500) * 2, 5000)) {
    if (p.text || p.cut) h.onCut?.();
    if (p.cut && Date.now() - since > CUT_PATIENCE_MS)
      return { answer: p.text, suggestions: [], error: p.cut };
    if (wait) await sleep(wait);
    try {
      await resume(api, req, p, h);
      failures = 0;
    } catch (e) {
      if (!(e instanceof ChatError)) throw e;
      if (e.status !== 0 || ++failures > 5) {
        if (!p.text) throw e;
        return {
          answer: p.text,
          suggestions: [],
          error: p.cut ?? new ChatError(502, 'GW_UPSTREAM_TRUNCATED'),
        };
      }
    }
  }
  return p.result;
}

/**
 * Sends the message and follows its answer to the end. Throws a ChatError when the gateway
 * refused the message (nothing was started, or what was started is unknown after retries).
 */
export async function runTurn(api: GatewayClient, req: TurnRequest, h: TurnHandlers): Promise<TurnResult> {
  const p: Progress = { text: '' };
  const first = await post(api, req);
  try {
    await consume(first, p, h);
  } catch (e) {
    // A broken connection is resumed below; anything else is a bug and surfaces.
    if (!(e instanceof ChatError) || e.status !== 0) throw e;
  }
  return finish(api, req, p, h);
}

/** Follows a turn found pending in the history (e.g. after a reload mid-answer). */
export function followTurn(
  api: GatewayClient,
  turnId: string,
  conversationId: string,
  h: TurnHandlers,
): Promise<TurnResult> {
  return finish(api, null, { turnId, conversationId, text: '' }, h);
}
