// A tiny client of the gateway's HTTP API, as a host page or widget would use it.
import { signedHeaders } from '../../src/identity/index.js';

export interface SseEvent {
  id?: string;
  event: string;
  data: unknown;
}

/** What a host site's backend does: POST /v1/sessions, the raw body signed with the app's secret. */
export function signedSession(
  base: string,
  secret: string,
  body: string,
  ts = Math.floor(Date.now() / 1000),
) {
  return fetch(`${base}/v1/sessions`, { method: 'POST', headers: signedHeaders(secret, body, ts), body });
}

export async function visitor(base: string): Promise<string> {
  const r = await fetch(`${base}/v1/sessions/visitor`, { method: 'POST' });
  if (r.status !== 201) throw new Error(`visitor session: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { token: string }).token;
}

export function post(
  base: string,
  path: string,
  token: string | undefined,
  body: unknown,
  init: RequestInit = {},
) {
  return fetch(`${base}${path}`, {
    method: 'POST',
    ...init,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(init.headers as Record<string, string>),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export function get(base: string, path: string, token?: string) {
  return fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

export interface ChatAnswer {
  conversation_id: string;
  turn_id: string;
  status: string;
  answer: string;
  usage: { input_tokens: number; output_tokens: number; total_tokens: number } | null;
  suggestions: string[];
  error?: { code: string; message: string };
}

/** POST /v1/chat: the whole answer as JSON. */
export async function chat(base: string, token: string, message: string, conversationId?: string) {
  const r = await post(base, '/v1/chat', token, { message, conversation_id: conversationId });
  return { status: r.status, body: (await r.json()) as ChatAnswer };
}

/** Reads an SSE response into events (comments skipped). */
export async function readSse(res: Response, onEvent?: (e: SseEvent) => void): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const e: Partial<SseEvent> & { raw?: string } = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const c = line.indexOf(':');
        const k = line.slice(0, c);
        const v = line.slice(c + 1).replace(/^ /, '');
        if (k === 'id') e.id = v;
        else if (k === 'event') e.event = v;
        else if (k === 'data') e.data = JSON.parse(v);
      }
      if (e.event) {
        events.push(e as SseEvent);
        onEvent?.(e as SseEvent);
      }
    }
  }
  return events;
}

/** POST /v1/chat/stream and read every event. */
export async function chatStream(base: string, token: string, message: string, conversationId?: string) {
  const r = await post(base, '/v1/chat/stream', token, { message, conversation_id: conversationId });
  if (r.status !== 200) return { status: r.status, headers: r.headers, events: [], error: await r.json() };
  return { status: r.status, headers: r.headers, events: await readSse(r) };
}

export const deltas = (events: SseEvent[]) =>
  events
    .filter((e) => e.event === 'delta')
    .map((e) => (e.data as { text: string }).text)
    .join('');

export async function until<T>(fn: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
