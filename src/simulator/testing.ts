// Test helpers (used by the *.test.ts files only): plain fetch and a tiny SSE line reader.
import { type Simulator, type SimulatorOptions, startSimulator } from './index.js';

export const PAT = 'pat_test_token';
export const BOT = '7500000000000000001';

export function startTestSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({ pats: [PAT], deltaDelayMs: 1, ...options });
}

/** A chat as tests read it. */
export interface ChatData {
  id: string;
  conversation_id: string;
  status: string;
  created_at: number;
  completed_at: number;
  last_error: { code: number; msg: string };
  required_action: {
    submit_tool_outputs: { tool_calls: { id: string; function: { name: string; arguments: string } }[] };
  };
}

export interface MessageData {
  id: string;
  type: string;
  role: string;
  content: string;
}

/** `data` of any endpoint: a chat, a conversation, a conversation page or a message list. */
export type AnyData = ChatData & { meta_data: Record<string, string> } & {
  has_more: boolean;
  conversations: { id: string }[];
} & MessageData[];

/** A loose view of every JSON body the simulator sends (envelopes, OAuth bodies, control routes). */
export interface Body {
  code: number;
  msg: string;
  detail: { logid: string };
  data: AnyData;
  first_id: string;
  last_id: string;
  has_more: boolean;
  access_token: string;
  expires_in: number;
  error: string;
  error_code: string;
  error_message: string;
  error_description: string;
  faults: Record<string, unknown>;
}

export interface JsonReply {
  status: number;
  headers: Headers;
  /** The parsed body (the raw text when it is not JSON). */
  json: Body;
}

/** A control route (`/_simulator/<path>`), sent with the simulator's control token (or `token`). */
export function control(
  sim: Simulator,
  path: string,
  init: { method?: string; body?: unknown; token?: string | null } = {},
): Promise<JsonReply> {
  const token = init.token === undefined ? sim.controlToken : init.token;
  return call(sim, `/_simulator/${path}`, {
    method: init.method,
    body: init.body,
    token: null,
    headers: token === null ? {} : { 'x-simulator-control': token },
  });
}

export async function call(
  sim: Simulator,
  path: string,
  init: {
    method?: string;
    body?: unknown;
    token?: string | null;
    rawBody?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<JsonReply> {
  const res = await request(sim, path, init);
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, json: json as Body };
}

export function request(
  sim: Simulator,
  path: string,
  init: {
    method?: string;
    body?: unknown;
    token?: string | null;
    rawBody?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Response> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...init.headers };
  const token = init.token === undefined ? PAT : init.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const body = init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  return fetch(sim.url + path, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
  });
}

export interface SseEvent {
  event: string;
  data: string;
}

/** Splits text into lines, keeping an unfinished tail; chunk boundaries can fall anywhere. */
export class LineReader {
  private buffer = '';
  push(text: string): string[] {
    this.buffer += text;
    const lines = this.buffer.split('\n');
    this.buffer = lines.pop() ?? '';
    return lines;
  }
  get rest(): string {
    return this.buffer;
  }
}

/** Parses strict chat-v3 framing: `event:X`, `data:Y`, blank line. Throws on anything else. */
export function parseFrames(lines: string[]): SseEvent[] {
  const events: SseEvent[] = [];
  for (let i = 0; i < lines.length; i += 3) {
    const [e, d, blank] = [lines[i], lines[i + 1], lines[i + 2]];
    if (!e?.startsWith('event:') || !d?.startsWith('data:') || (blank !== undefined && blank !== '')) {
      throw new Error(`bad framing at line ${i}: ${JSON.stringify([e, d, blank])}`);
    }
    events.push({ event: e.slice(6), data: d.slice(5) });
  }
  return events;
}

export interface StreamResult {
  status: number;
  headers: Headers;
  raw: string;
  lines: string[];
  events: SseEvent[];
  /** The connection broke before the body ended. */
  broken: boolean;
}

/** Parses strict chatflow framing: `event: X`, `data: Y` (a space after each colon), blank line. */
export function parseSpacedFrames(lines: string[]): SseEvent[] {
  const events: SseEvent[] = [];
  for (let i = 0; i < lines.length; i += 3) {
    const [e, d, blank] = [lines[i], lines[i + 1], lines[i + 2]];
    if (!e?.startsWith('event: ') || !d?.startsWith('data: ') || (blank !== undefined && blank !== '')) {
      throw new Error(`bad chatflow framing at line ${i}: ${JSON.stringify([e, d, blank])}`);
    }
    events.push({ event: e.slice(7), data: d.slice(6) });
  }
  return events;
}

export interface WorkflowEvent extends SseEvent {
  id: number;
}

/** Parses strict workflow framing: `id: N`, `event: X`, `data: Y`, blank line. Throws on anything else. */
export function parseWorkflowFrames(lines: string[]): WorkflowEvent[] {
  const events: WorkflowEvent[] = [];
  for (let i = 0; i < lines.length; i += 4) {
    const [id, e, d, blank] = [lines[i], lines[i + 1], lines[i + 2], lines[i + 3]];
    if (
      !/^id: \d+$/.test(id ?? '') ||
      !e?.startsWith('event: ') ||
      !d?.startsWith('data: ') ||
      (blank !== undefined && blank !== '')
    ) {
      throw new Error(`bad workflow framing at line ${i}: ${JSON.stringify([id, e, d, blank])}`);
    }
    events.push({ id: Number(id?.slice(4)), event: e.slice(7), data: d.slice(6) });
  }
  return events;
}

/** Reads a workflow stream (all of it) and parses its frames. */
export async function readWorkflowStream(
  res: Response,
): Promise<{ status: number; headers: Headers; raw: string; events: WorkflowEvent[] }> {
  const raw = await res.text();
  const lines = raw.split('\n');
  if (lines.pop() !== '') throw new Error('the stream does not end with a newline');
  return { status: res.status, headers: res.headers, raw, events: parseWorkflowFrames(lines) };
}

export async function readStream(
  res: Response,
  parse: (lines: string[]) => SseEvent[] = parseFrames,
): Promise<StreamResult> {
  const reader = res.body?.getReader();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const lines = new LineReader();
  const all: string[] = [];
  let raw = '';
  let broken = false;
  if (reader) {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const text = decoder.decode(value, { stream: true });
        raw += text;
        all.push(...lines.push(text));
      }
    } catch {
      broken = true;
    }
  }
  const complete = broken ? all.slice(0, all.length - (all.length % 3)) : all;
  return { status: res.status, headers: res.headers, raw, lines: all, events: parse(complete), broken };
}

export function chatBody(message: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    bot_id: BOT,
    user_id: 'u-1',
    stream: true,
    additional_messages: [{ role: 'user', content: message, content_type: 'text' }],
    ...extra,
  };
}

export async function streamChat(
  sim: Simulator,
  message: string,
  opts: { conversationId?: string; token?: string; extra?: Record<string, unknown> } = {},
): Promise<StreamResult> {
  const q = opts.conversationId ? `?conversation_id=${opts.conversationId}` : '';
  const res = await request(sim, `/v3/chat${q}`, { body: chatBody(message, opts.extra), token: opts.token });
  return readStream(res);
}

/** Joins the answer deltas of a stream. */
export function answerOf(events: SseEvent[]): string {
  return events
    .filter((e) => e.event === 'conversation.message.delta')
    .map((e) => (JSON.parse(e.data) as { content: string }).content)
    .join('');
}

export function dataOf<T = Record<string, unknown>>(events: SseEvent[], name: string): T[] {
  return events.filter((e) => e.event === name).map((e) => JSON.parse(e.data) as T);
}

/** Polls retrieve until the chat leaves created/in_progress. */
export async function waitForChat(
  sim: Simulator,
  conversationId: string,
  chatId: string,
  token = PAT,
): Promise<ChatData> {
  for (;;) {
    const r = await call(sim, `/v3/chat/retrieve?conversation_id=${conversationId}&chat_id=${chatId}`, {
      token,
    });
    if (r.json.code !== 0) throw new Error(JSON.stringify(r.json));
    if (r.json.data.status !== 'in_progress' && r.json.data.status !== 'created') return r.json.data;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
