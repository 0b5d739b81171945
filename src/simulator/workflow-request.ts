// Request checks shared by the workflow and chatflow endpoints (§5.1, §5.4).
import type { AuthedRequest, SimContext } from './context.js';
import { isRecord, MSG_BAD_PARAM, sendError } from './http-util.js';

const MSG_NOT_PUBLISHED = 'The workflow has never been published. Publish it and try again.';

export type Kind = 'workflow' | 'chatflow';

/** An optional id field: absent or "" = none; a non-string = invalid (undefined). */
function optionalId(v: unknown): string | null | undefined {
  if (v === undefined || v === null || v === '') return null;
  return typeof v === 'string' ? v : undefined;
}

export interface Target {
  workflowId: string;
  botId: string | null;
  appId: string | null;
}

/**
 * Checks workflow_id, bot_id and app_id, answering the error itself: malformed or both bot_id and
 * app_id → 4000; an unknown id → 4200 ("never published"); a workflow id on the chatflow endpoint
 * (or the reverse) → 4000.
 */
export function checkTarget(
  ctx: SimContext,
  rc: AuthedRequest,
  b: Record<string, unknown>,
  kind: Kind,
): Target | null {
  const fail = (code: number, msg: string): null => {
    sendError(rc.res, rc.logId, code, msg);
    return null;
  };
  const id = b.workflow_id;
  const botId = optionalId(b.bot_id);
  const appId = optionalId(b.app_id);
  if (typeof id !== 'string' || id === '' || botId === undefined || appId === undefined)
    return fail(4000, MSG_BAD_PARAM);
  if (botId !== null && appId !== null) return fail(4000, 'bot_id and app_id cannot be set together');
  const [own, other] =
    kind === 'workflow' ? [ctx.workflowIds, ctx.chatflowIds] : [ctx.chatflowIds, ctx.workflowIds];
  if (!own.has(id)) {
    if (other.has(id)) {
      const use = kind === 'workflow' ? '/v1/workflows/chat' : '/v1/workflow/run or /v1/workflow/stream_run';
      return fail(4000, `${id} is a ${kind === 'workflow' ? 'chatflow' : 'workflow'}: use ${use}`);
    }
    return fail(4200, MSG_NOT_PUBLISHED);
  }
  if (botId !== null && !ctx.botIds.has(botId)) return fail(4200, `bot not found or not published: ${botId}`);
  if (appId !== null && !ctx.appIds.has(appId)) return fail(4200, `app not found or not published: ${appId}`);
  return { workflowId: id, botId, appId };
}

/** `parameters` as an object or a JSON string of one; absent = `{}`; anything else = null. */
export function parseParameters(v: unknown): Record<string, unknown> | null {
  if (v === undefined || v === null || v === '') return {};
  if (isRecord(v)) return v;
  if (typeof v !== 'string') return null;
  try {
    const parsed: unknown = JSON.parse(v);
    return isRecord(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** The start node's input: `USER_INPUT`, else `input`; non-strings are JSON-serialized. */
export function inputOf(params: Record<string, unknown>): string {
  const v = params.USER_INPUT ?? params.input;
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}
