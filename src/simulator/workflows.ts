// /v1/workflow/run, /v1/workflow/stream_run, /v1/workflow/stream_resume, /v1/workflows/resume and
// /v1/workflows/{id}/run_histories/{execute_id} (protocol §5.1–§5.3, §5.5).
import { MAGIC_AFTER_DELTAS } from './chat.js';
import type { AuthedRequest, SimContext } from './context.js';
import { debugUrl, workflowFraming } from './framing.js';
import {
  isRecord,
  MSG_BAD_PARAM,
  MSG_FORBIDDEN,
  readJson,
  sendError,
  sendJson,
  sendOk,
} from './http-util.js';
import { nowSec } from './ids.js';
import { SseWriter } from './sse.js';
import { PingingSink, runPhase, type WorkflowSink } from './workflow-engine.js';
import { checkTarget, inputOf, parseParameters } from './workflow-request.js';
import {
  historyJson,
  interruptJson,
  MAX_RESUMES,
  type PendingInterrupt,
  questionData,
  type WorkflowRun,
} from './workflow-store.js';

/** `#slow`: the gap before each output piece, well above the default PING interval. */
const SLOW_PIECE_MS = 300;
const MSG_BAD_EVENT = 'Invalid event_id: no interrupted workflow waits for it';
export const HISTORY_PATH = /^\/v1\/workflows\/([^/]+)\/run_histories\/([^/]+)$/;

function openSink(ctx: SimContext, rc: AuthedRequest, run: WorkflowRun): WorkflowSink {
  const f = ctx.faults;
  const writer = new SseWriter(
    rc.res,
    rc.logId,
    () => f.chunker(),
    () => f.current.chunkGapMs,
    workflowFraming(run.debugUrl),
  );
  return new PingingSink(writer, f.current.workflowPingMs);
}

/** Runs one phase; magic words come from the input (and the resume data). */
function phase(
  ctx: SimContext,
  run: WorkflowRun,
  sink: WorkflowSink | null,
  opts: { ask: boolean; answer: string; magic: string; reuse?: PendingInterrupt },
): Promise<void> {
  const lower = opts.magic.toLowerCase();
  const f = ctx.faults;
  return runPhase({ newId: () => ctx.records.id(), chunkChars: ctx.chunkChars, sleeper: ctx.sleeper }, run, {
    sink,
    ask: opts.ask,
    reuse: opts.reuse,
    answer: opts.answer,
    firstDelayMs: f.current.firstEventDelayMs,
    pieceDelayMs: lower.includes('#slow') ? SLOW_PIECE_MS : f.deltaDelay(ctx.deltaDelayMs),
    failAfter: lower.includes('#fail') ? MAGIC_AFTER_DELTAS : null,
  });
}

/** The top-level sync shape of /v1/workflow/run and /v1/workflows/resume (§1.4, §5.1). */
function sendRunResult(rc: AuthedRequest, run: WorkflowRun): void {
  const base = { data: '', debug_url: run.debugUrl, execute_id: run.executeId };
  if (run.status === 'Fail') {
    const body = { code: run.errorCode, msg: run.errorMessage, ...base, detail: { logid: rc.logId } };
    sendJson(rc.res, 200, body, rc.logId);
    return;
  }
  const body: Record<string, unknown> = { code: 0, msg: '', ...base, data: run.output, usage: run.usage };
  if (run.interrupt) body.interrupt_data = interruptJson(run.interrupt, questionData(run.interrupt));
  body.detail = { logid: rc.logId };
  sendJson(rc.res, 200, body, rc.logId);
}

async function startRun(ctx: SimContext, rc: AuthedRequest, stream: boolean): Promise<void> {
  const body = await readJson(rc.req);
  if (!body.ok || !isRecord(body.value)) return sendError(rc.res, rc.logId, 4000, MSG_BAD_PARAM);
  const b = body.value;
  const target = checkTarget(ctx, rc, b, 'workflow');
  if (!target) return;
  const params = parseParameters(b.parameters);
  if (!params) return sendError(rc.res, rc.logId, 4000, MSG_BAD_PARAM);
  const isAsync = !stream && b.is_async === true;
  const ext = isRecord(b.ext) ? b.ext : {};
  const executeId = ctx.records.id();
  const now = nowSec();
  const run: WorkflowRun = {
    executeId,
    workflowId: target.workflowId,
    scope: rc.identity.scope,
    botId: target.botId ?? '',
    connectorId: typeof b.connector_id === 'string' && b.connector_id ? b.connector_id : '1024',
    connectorUid: typeof ext.user_id === 'string' && ext.user_id ? ext.user_id : rc.identity.creatorId,
    runMode: stream ? 1 : isAsync ? 2 : 0,
    logId: rc.logId,
    input: inputOf(params),
    status: 'Running',
    output: '',
    errorCode: 0,
    errorMessage: '',
    createdAt: now,
    updatedAt: now,
    usage: { input_count: 0, output_count: 0, token_count: 0 },
    debugUrl: debugUrl(executeId, target.workflowId),
    interrupt: null,
  };
  ctx.workflows.add(run);
  ctx.stats.workflowRuns++;
  const opts = {
    ask: run.input.toLowerCase().includes('#ask'),
    answer: `Workflow answer: ${run.input}`,
    magic: run.input,
  };
  if (stream) return phase(ctx, run, openSink(ctx, rc, run), opts);
  if (isAsync) {
    sendOk(rc.res, rc.logId, undefined, { execute_id: executeId, debug_url: run.debugUrl });
    return phase(ctx, run, null, opts);
  }
  await phase(ctx, run, null, opts);
  sendRunResult(rc, run);
}

export const runWorkflow = (ctx: SimContext, rc: AuthedRequest): Promise<void> => startRun(ctx, rc, false);
export const streamRunWorkflow = (ctx: SimContext, rc: AuthedRequest): Promise<void> =>
  startRun(ctx, rc, true);

async function resume(ctx: SimContext, rc: AuthedRequest, stream: boolean): Promise<void> {
  const body = await readJson(rc.req);
  if (!body.ok || !isRecord(body.value)) return sendError(rc.res, rc.logId, 4000, MSG_BAD_PARAM);
  const b = body.value;
  if (
    typeof b.workflow_id !== 'string' ||
    typeof b.event_id !== 'string' ||
    typeof b.resume_data !== 'string'
  )
    return sendError(rc.res, rc.logId, 4000, MSG_BAD_PARAM);
  if (!ctx.workflowIds.has(b.workflow_id)) return sendError(rc.res, rc.logId, 4200, 'workflow not found');
  const run = ctx.workflows.byEventId(b.event_id);
  const pending = run?.interrupt;
  if (!run || !pending || run.scope !== rc.identity.scope || run.workflowId !== b.workflow_id)
    return sendError(rc.res, rc.logId, 4000, MSG_BAD_EVENT);
  if (Number(b.interrupt_type) !== pending.type)
    return sendError(rc.res, rc.logId, 4000, `interrupt_type must be ${pending.type}`);
  if (pending.resumes >= MAX_RESUMES)
    return sendError(rc.res, rc.logId, 4000, `A question can be resumed at most ${MAX_RESUMES} times`);
  pending.resumes++;
  run.interrupt = null;
  ctx.stats.resumes++;
  const answer = b.resume_data;
  const opts = {
    // An empty answer makes the question node ask again (same event_id, counts as a resume).
    ask: answer.trim() === '',
    reuse: pending,
    answer: `Workflow answer: ${run.input} in ${answer}`,
    magic: `${run.input} ${answer}`,
  };
  if (stream) return phase(ctx, run, openSink(ctx, rc, run), opts);
  await phase(ctx, run, null, opts);
  sendRunResult(rc, run);
}

export const streamResumeWorkflow = (ctx: SimContext, rc: AuthedRequest): Promise<void> =>
  resume(ctx, rc, true);
export const resumeWorkflow = (ctx: SimContext, rc: AuthedRequest): Promise<void> => resume(ctx, rc, false);

export function runHistory(ctx: SimContext, rc: AuthedRequest): void {
  const m = HISTORY_PATH.exec(rc.url.pathname);
  const run = m ? ctx.workflows.get(m[2] ?? '') : undefined;
  if (!run || run.workflowId !== m?.[1]) sendError(rc.res, rc.logId, 4200, 'execute record not found');
  else if (run.scope !== rc.identity.scope) sendError(rc.res, rc.logId, 4101, MSG_FORBIDDEN);
  else sendOk(rc.res, rc.logId, [historyJson(run)]);
}
