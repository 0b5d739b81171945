// Workflows and chatflows (coze-protocol.md §5.1-5.4): request bodies, sync results, the client methods.

import { createChatStream } from './chat-stream.js';
import type { ChatParams } from './client.js';
import { badResponse } from './error-map.js';
import { isRecord } from './events.js';
import type { Envelope } from './http.js';
import type { Transport } from './transport.js';
import type { ChatStream } from './types.js';
import { createWorkflowStream, toInterrupt, toUsage } from './workflow-events.js';
import type { WorkflowRunResult, WorkflowStream } from './workflow-types.js';

export interface WorkflowRunParams {
  /** The JWT session_name for this end user. */
  sessionName: string;
  workflowId: string;
  /** Start-node inputs, sent as a JSON object (§5.1). */
  parameters?: Record<string, unknown>;
  /** For workflows with DB/variable nodes. Never sent together with `appId` (§5.1: 4000): appId wins. */
  botId?: string;
  /** For workflows inside an app. */
  appId?: string;
  /** §5.1: only `latitude`, `longitude`, `user_id`. */
  ext?: Record<string, string>;
  signal?: AbortSignal;
}

export interface WorkflowResumeParams {
  sessionName: string;
  workflowId: string;
  /** The interrupt's `eventId` (`"<execute_id>/<n>"`). */
  eventId: string;
  interruptType: number;
  /** The user's answer (files as `{"file_id":"…"}` strings). */
  resumeData: string;
  signal?: AbortSignal;
}

/** Sync calls: `timeoutMs` replaces the client's `workflowRunMs`. */
export interface SyncOptions {
  timeoutMs?: number;
}

/** A chatflow turn: the chat parameters without a required bot (§5.4: `app_id` or `bot_id`). */
export type ChatflowParams = Omit<ChatParams, 'botId'> & {
  workflowId: string;
  botId?: string;
  appId?: string;
  /** §5.4: `latitude`, `longitude`; `user_id` is taken from `userId`. */
  ext?: Record<string, string>;
  signal?: AbortSignal;
};

export interface WorkflowMethods {
  streamWorkflow(p: WorkflowRunParams): Promise<WorkflowStream>;
  resumeWorkflow(p: WorkflowResumeParams): Promise<WorkflowStream>;
  runWorkflow(p: WorkflowRunParams & SyncOptions): Promise<WorkflowRunResult>;
  resumeWorkflowSync(p: WorkflowResumeParams & SyncOptions): Promise<WorkflowRunResult>;
  streamChatflow(p: ChatflowParams): Promise<ChatStream>;
}

/** §5.1 / §5.4: `app_id` or `bot_id`, never both. */
const owner = (p: { botId?: string; appId?: string }) =>
  p.appId ? { app_id: p.appId } : p.botId ? { bot_id: p.botId } : {};

/** §5.1 body (§5.2: the same minus `is_async`). */
const runBody = (p: WorkflowRunParams) => ({
  workflow_id: p.workflowId,
  parameters: p.parameters,
  ...owner(p),
  ext: p.ext,
});

/** §5.3 body, for stream_resume and the non-stream resume alike. */
const resumeBody = (p: WorkflowResumeParams) => ({
  workflow_id: p.workflowId,
  event_id: p.eventId,
  interrupt_type: p.interruptType,
  resume_data: p.resumeData,
});

/**
 * §5.4 body. There is no session field: the JWT session_name isolates conversations. `custom_variables`
 * and `meta_data` are chat v3 only and not sent.
 */
const chatflowBody = (p: ChatflowParams) => ({
  workflow_id: p.workflowId,
  additional_messages: [{ role: 'user', content: p.message, content_type: 'text' }],
  parameters: p.parameters,
  ...owner(p),
  conversation_id: p.conversationId,
  ext: p.userId ? { ...p.ext, user_id: p.userId } : p.ext,
});

/** §1.4 deviation: sync results are top-level siblings of `code`, and `data` is a string. */
export function runResultOf(env: Envelope): WorkflowRunResult {
  const { json, logId } = env;
  const interrupt = toInterrupt(json.interrupt_data);
  const data = json.data;
  let output: string;
  if (typeof data === 'string') output = data;
  else if (isRecord(data))
    output = JSON.stringify(data); // tolerated: an object instead of its string
  else if (data === undefined || data === null) {
    // §5.1: an interrupted run has no outputs yet; an async run (never requested here) only an execute_id.
    if (!interrupt) throw badResponse('the workflow run result has no `data`', logId);
    output = '';
  } else throw badResponse('the workflow run `data` is not a string', logId);
  const result: WorkflowRunResult = { output };
  if (logId !== undefined) result.logId = logId;
  if (output !== '') {
    try {
      result.outputs = JSON.parse(output);
    } catch {
      // plain text outputs stay in `output` only
    }
  }
  if (typeof json.debug_url === 'string' && json.debug_url) result.debugUrl = json.debug_url;
  const usage = toUsage(json.usage);
  if (usage) result.usage = usage;
  if (typeof json.execute_id === 'string' && json.execute_id) result.executeId = json.execute_id;
  if (interrupt) result.interrupt = interrupt;
  return result;
}

export function createWorkflowMethods(t: Transport, workflowRunMs: number): WorkflowMethods {
  return {
    streamWorkflow: (p) =>
      t.open(
        {
          sessionName: p.sessionName,
          method: 'POST',
          path: '/v1/workflow/stream_run',
          body: runBody(p),
          signal: p.signal,
        },
        createWorkflowStream,
      ),

    resumeWorkflow: (p) =>
      t.open(
        {
          sessionName: p.sessionName,
          method: 'POST',
          path: '/v1/workflow/stream_resume',
          body: resumeBody(p),
          signal: p.signal,
        },
        createWorkflowStream,
      ),

    async runWorkflow(p) {
      const env = await t.json({
        sessionName: p.sessionName,
        method: 'POST',
        path: '/v1/workflow/run',
        body: runBody(p), // no `is_async`: a sync run
        signal: p.signal,
        timeoutMs: p.timeoutMs ?? workflowRunMs,
      });
      return runResultOf(env);
    },

    async resumeWorkflowSync(p) {
      const env = await t.json({
        sessionName: p.sessionName,
        method: 'POST',
        path: '/v1/workflows/resume', // §5.3: plural `workflows`
        body: resumeBody(p),
        signal: p.signal,
        timeoutMs: p.timeoutMs ?? workflowRunMs,
      });
      return runResultOf(env);
    },

    streamChatflow: (p) =>
      // §5.4: always SSE with the chat v3 vocabulary; `done` carries {debug_url}.
      t.open(
        {
          sessionName: p.sessionName,
          method: 'POST',
          path: '/v1/workflows/chat',
          body: chatflowBody(p),
          signal: p.signal,
        },
        createChatStream,
      ),
  };
}
