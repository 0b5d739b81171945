// Unit-test parts for the turn pipeline: a scripted fake of our `CozeClient` interface, and a
// runner over a real SQLite ledger, the real memory Store and a real (collected) logger.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type AppConfig, loadConfig } from '../config/index.js';
import type { Chat, ChatEvent, ChatStream, CozeClient } from '../coze/index.js';
import { GatewayError } from '../errors.js';
import type { Session } from '../identity/index.js';
import { type Ledger, openLedger } from '../ledger/index.js';
import { createLogger, createMetrics, type Metrics } from '../observability/index.js';
import { MemoryStore } from '../state/index.js';
import { ToolRunner } from '../tools/index.js';
import type { RetryClock } from './backoff.js';
import { CircuitBreaker } from './breaker.js';
import { TurnRunner, type TurnSettings } from './runner.js';

/** One step of a scripted Coze stream: an event, a wait, or a failure. */
export type Step = ChatEvent | { wait: Promise<unknown> } | { fail: Error };

export const chat = (
  event: Extract<ChatEvent, { type: 'chat' }>['event'],
  c: Partial<Chat> = {},
): ChatEvent => ({
  type: 'chat',
  event,
  chat: { id: 'chat_1', conversation_id: 'czc_1', status: 'in_progress', ...c },
});

export const delta = (content: string, id = 'msg_1'): ChatEvent => ({
  type: 'message',
  event: 'conversation.message.delta',
  message: { id, conversation_id: 'czc_1', role: 'assistant', type: 'answer', content, content_type: 'text' },
});

/** A whole answer as Coze streams it: created, deltas, completed, [DONE]. */
export const answer = (...parts: string[]): Step[] => [
  chat('conversation.chat.created'),
  ...parts.map((p) => delta(p)),
  chat('conversation.chat.completed', {
    status: 'completed',
    usage: { input_count: 3, output_count: 5, token_count: 8 },
  }),
  { type: 'done' },
];

/** A promise the test settles: `wait` on it in a script to hold the stream open. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

function streamOf(steps: Step[], signal?: AbortSignal): ChatStream {
  const aborted = () => new GatewayError('GW_UPSTREAM_TRUNCATED', { message: 'aborted' });
  return {
    logId: 'log_1',
    abort() {},
    async *[Symbol.asyncIterator]() {
      for (const s of steps) {
        if (signal?.aborted) throw aborted();
        if ('wait' in s) {
          await Promise.race([
            s.wait,
            new Promise((_, reject) => signal?.addEventListener('abort', () => reject(aborted()))),
          ]);
        } else if ('fail' in s) throw s.fail;
        else yield s;
      }
    },
  };
}

/**
 * A `CozeClient` that plays scripts: each chat opened takes the next script (a function may
 * throw instead, as Coze refusing). Records what it was asked.
 */
export class FakeCoze {
  readonly opened: string[] = [];
  readonly canceled: string[] = [];
  constructor(readonly scripts: Array<Step[] | (() => Step[])>) {}

  private next(what: string, signal?: AbortSignal): ChatStream {
    this.opened.push(what);
    const s = this.scripts.shift();
    if (!s) throw new Error(`FakeCoze: no script left for ${what}`);
    return streamOf(typeof s === 'function' ? s() : s, signal);
  }

  readonly client = {
    createConversation: async () => ({ conversation: { id: 'czc_1', created_at: 0 } }),
    streamChat: async (p: { signal?: AbortSignal }) => this.next('chat', p.signal),
    submitToolOutputs: async (p: { signal?: AbortSignal }) => this.next('tool outputs', p.signal),
    cancelChat: async (p: { chatId: string }) => {
      this.canceled.push(p.chatId);
      return { id: p.chatId, conversation_id: 'czc_1', status: 'canceled' as const };
    },
  } as unknown as CozeClient;
}

export interface Harness {
  runner: TurnRunner;
  ledger: Ledger;
  store: MemoryStore;
  breaker: CircuitBreaker;
  app: AppConfig;
  session: Session;
  metrics: Metrics;
  /** Every log line written, parsed. */
  logs: Array<{ level: number; msg: string; [k: string]: unknown }>;
  /** The delays retries asked for. */
  slept: number[];
  close(): Promise<void>;
}

/** A runner as the gateway builds one, over a fresh SQLite file; `coze` plays the upstream. */
export async function harness(
  coze: CozeClient,
  o: {
    settings?: Partial<TurnSettings>;
    metrics?: Metrics;
    breaker?: CircuitBreaker;
    env?: Record<string, string>;
  } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'cg-turns-'));
  const config = loadConfig({
    DATABASE_URL: `sqlite:${join(dir, 'ledger.db')}`,
    LOG_LEVEL: 'info',
    ...o.env,
  });
  const ledger = await openLedger(config.database);
  const store = new MemoryStore();
  const logs: Harness['logs'] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const slept: number[] = [];
  const clock: RetryClock = { now: Date.now, random: () => 0.5, sleep: async (ms) => void slept.push(ms) };
  const breaker = o.breaker ?? new CircuitBreaker(3, 60_000);
  const metrics = o.metrics ?? createMetrics();
  const tools = new ToolRunner();
  const runner = new TurnRunner({
    coze,
    ledger,
    store,
    breaker,
    tools,
    logger: createLogger('info', sink),
    metrics,
    clock,
    settings: {
      lockWaitMs: 0,
      timeoutMs: 60_000,
      resumeRetentionMs: 60_000,
      resumeMemoryTurns: 100,
      ...o.settings,
    },
  });
  const session: Session = {
    appId: config.apps[0].id,
    userId: 'ann',
    kind: 'user',
    expiresAt: Date.now() + 3_600_000,
  };
  return {
    runner,
    ledger,
    store,
    breaker,
    app: config.apps[0],
    session,
    metrics,
    logs,
    slept,
    async close() {
      const left = runner.active;
      for (const t of left) t.stop('shutdown');
      await Promise.all(left.map((t) => t.result));
      await tools.close();
      await store.close();
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
