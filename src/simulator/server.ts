// The node:http request dispatcher: log id, stats, injected 5xx, OAuth, auth, routes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { cancelChat, createChat, listChatMessages, retrieveChat, submitToolOutputs } from './chat.js';
import { chatflow } from './chatflow.js';
import type { AuthedRequest, RequestContext, SimContext } from './context.js';
import { CONTROL_PREFIX, type ControlApi, handleControl } from './control.js';
import {
  createConversation,
  listConversations,
  listMessages,
  retrieveConversation,
} from './conversations.js';
import { MSG_AUTH, sendError } from './http-util.js';
import { newLogId } from './ids.js';
import { handleToken } from './oauth.js';
import {
  HISTORY_PATH,
  resumeWorkflow,
  runHistory,
  runWorkflow,
  streamResumeWorkflow,
  streamRunWorkflow,
} from './workflows.js';

type Handler = (ctx: SimContext, rc: AuthedRequest) => void | Promise<void>;

const ROUTES: Record<string, Handler> = {
  'POST /v3/chat': createChat,
  'GET /v3/chat/retrieve': retrieveChat,
  'POST /v3/chat/retrieve': retrieveChat,
  'GET /v3/chat/message/list': listChatMessages,
  'POST /v3/chat/message/list': listChatMessages,
  'POST /v3/chat/cancel': cancelChat,
  'POST /v3/chat/submit_tool_outputs': submitToolOutputs,
  'POST /v1/conversation/create': createConversation,
  'GET /v1/conversation/retrieve': retrieveConversation,
  'GET /v1/conversations': listConversations,
  'POST /v1/conversation/message/list': listMessages,
  'POST /v1/workflow/run': runWorkflow,
  'POST /v1/workflow/stream_run': streamRunWorkflow,
  'POST /v1/workflow/stream_resume': streamResumeWorkflow,
  'POST /v1/workflows/resume': resumeWorkflow,
  'POST /v1/workflows/chat': chatflow,
};

/** Routes with path parameters (the handler re-reads them from the path). */
function route(method: string | undefined, path: string): Handler | undefined {
  const exact = ROUTES[`${method} ${path}`];
  if (exact) return exact;
  if (method === 'GET' && HISTORY_PATH.test(path)) return runHistory;
  return undefined;
}

/** The token endpoint and its enterprise path variants (§2.2). */
const TOKEN_PATH = /^\/api\/permission\/oauth2\/(?:(?:account|enterprise_id)\/[^/]+\/)?token$/;

export function createDispatcher(
  ctx: SimContext,
  control: ControlApi,
  log?: (line: string) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const logId = newLogId();
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const rc: RequestContext = { req, res, url, logId };
    if (log) {
      const started = Date.now();
      res.once('close', () =>
        log(
          `${req.method} ${url.pathname}${url.search} -> ${res.statusCode} ${Date.now() - started}ms ${logId}`,
        ),
      );
    }
    dispatch(ctx, control, rc).catch((err: unknown) => {
      log?.(`handler error: ${err instanceof Error ? err.stack : String(err)}`);
      if (!res.headersSent) sendError(res, logId, 5000, 'simulator internal error', 500);
      else res.destroy();
    });
  };
}

async function dispatch(ctx: SimContext, control: ControlApi, rc: RequestContext): Promise<void> {
  const { req, res, url, logId } = rc;
  if (url.pathname.startsWith(CONTROL_PREFIX)) return handleControl(control, rc);
  ctx.stats.requests++;
  const injected = ctx.faults.takeHttpError(url.pathname);
  if (injected) {
    req.resume();
    res.writeHead(injected.status, { 'Content-Type': injected.contentType, 'X-Tt-Logid': logId });
    res.end(injected.body);
    return;
  }
  if (req.method === 'POST' && TOKEN_PATH.test(url.pathname)) return handleToken(ctx, rc);
  const handler = route(req.method, url.pathname);
  if (!handler) {
    req.resume();
    return sendError(res, logId, 4200, `Not Found: ${req.method} ${url.pathname}`, 404);
  }
  const identity = ctx.auth.identify(req.headers.authorization);
  if (!identity) {
    req.resume();
    return sendError(res, logId, 4100, MSG_AUTH);
  }
  return handler(ctx, { ...rc, identity });
}
