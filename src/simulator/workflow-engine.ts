// The deterministic workflow: Start → [Question] → Message (streaming output node) → End (§5.2).
// One call runs one phase: up to the question's interrupt, or to the end. A phase runs to its end
// even when the stream is gone, so run histories and sync answers see the result.
import { chunkText } from './bot.js';
import { nowSec } from './ids.js';
import type { Sleeper } from './sleeper.js';
import type { SseWriter } from './sse.js';
import type { PendingInterrupt, WorkflowRun } from './workflow-store.js';
import { interruptJson } from './workflow-store.js';

export const QUESTION = 'Which city?';
const QUESTION_NODE = 'Question';
const MESSAGE_NODE = 'Message';
const WORKFLOW_FAILURE = { code: 5000, msg: 'Node "Message" failed: simulated failure (#fail)' };
/** The observed heartbeat payload (§5.2). */
const PING_DATA = { content: '{}' };

/** Where workflow events go; PingingSink implements it. */
export interface WorkflowSink {
  event(name: string, data: unknown): void;
  /** Writes `Done` and ends. */
  done(): void;
  /** Ends without `Done` (after Error or Interrupt). */
  end(): void;
  readonly closed: boolean;
}

/** Wraps a workflow SseWriter: after `intervalMs` without an event it sends PING (0 = never). */
export class PingingSink implements WorkflowSink {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly writer: SseWriter,
    private readonly intervalMs: number,
  ) {
    this.arm();
  }

  get closed(): boolean {
    return this.writer.closed;
  }

  event(name: string, data: unknown): void {
    this.writer.event(name, data);
    this.arm();
  }

  done(): void {
    this.disarm();
    this.writer.done();
  }

  end(): void {
    this.disarm();
    this.writer.end();
  }

  private arm(): void {
    this.disarm();
    if (this.intervalMs <= 0 || this.writer.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.writer.closed) return;
      this.event('PING', PING_DATA);
    }, this.intervalMs);
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

export interface EngineDeps {
  newId: () => string;
  chunkChars: number;
  sleeper: Sleeper;
}

export interface PhasePlan {
  sink: WorkflowSink | null;
  /** Stop at the question node; `reuse` re-asks a question that got an empty answer. */
  ask: boolean;
  reuse?: PendingInterrupt;
  answer: string;
  firstDelayMs: number;
  pieceDelayMs: number;
  /** Error after this many output pieces. */
  failAfter: number | null;
}

function count(text: string): number {
  return Array.from(text).length;
}

export async function runPhase(deps: EngineDeps, run: WorkflowRun, plan: PhasePlan): Promise<void> {
  const sink = plan.sink;
  const emit = (name: string, data: unknown): void => {
    if (sink && !sink.closed) sink.event(name, data);
  };
  const touch = (): void => {
    run.updatedAt = nowSec();
  };
  await deps.sleeper.sleep(plan.firstDelayMs);
  if (deps.sleeper.closed) return sink?.end();

  if (plan.ask) {
    emit('Message', {
      content: QUESTION,
      content_type: 'text',
      node_is_finish: true,
      node_seq_id: '0',
      node_title: QUESTION_NODE,
    });
    const eventId = plan.reuse?.eventId ?? `${run.executeId}/${deps.newId()}`;
    run.interrupt = { eventId, type: 2, question: QUESTION, resumes: plan.reuse?.resumes ?? 0 };
    touch();
    emit('Interrupt', { interrupt_data: interruptJson(run.interrupt, ''), node_title: QUESTION_NODE });
    return sink?.end();
  }

  const pieces = chunkText(plan.answer, deps.chunkChars);
  const fail = (): void => {
    run.status = 'Fail';
    run.errorCode = WORKFLOW_FAILURE.code;
    run.errorMessage = WORKFLOW_FAILURE.msg;
    touch();
    emit('Error', { error_code: WORKFLOW_FAILURE.code, error_message: WORKFLOW_FAILURE.msg });
    sink?.end();
  };
  for (const [i, piece] of pieces.entries()) {
    await deps.sleeper.sleep(plan.pieceDelayMs);
    if (deps.sleeper.closed) return sink?.end();
    const last = i === pieces.length - 1;
    emit('Message', {
      content: piece,
      node_is_finish: last,
      node_seq_id: String(i),
      node_title: MESSAGE_NODE,
    });
    if (plan.failAfter !== null && i + 1 >= plan.failAfter) return fail();
  }
  if (plan.failAfter !== null) return fail();

  const output = JSON.stringify({ output: plan.answer });
  emit('Message', {
    content: output,
    cost: '0.00',
    node_is_finish: true,
    node_seq_id: '0',
    node_title: '',
    token: 0,
  });
  const input = run.usage.input_count + 40 + Math.ceil(count(run.input) / 2);
  const out = run.usage.output_count + 1 + Math.ceil(count(plan.answer) / 4);
  run.usage = { input_count: input, output_count: out, token_count: input + out };
  run.output = output;
  run.status = 'Success';
  touch();
  sink?.done();
}
