// A Coze-compatible test server (OpenAPI chat v3, conversations, workflows, chatflows, OAuth JWT
// exchange) on node:http. It follows docs of the wire protocol only; it shares no code with the Coze
// client in src/coze.
//
// Magic words (in the user's message, case-insensitive) trigger a fault for that one chat:
//   #fail      the chat fails after 2 deltas: conversation.chat.failed, last_error {5000,"event interval error"}
//              (non-stream: the chat reaches status failed)
//   #cut       the stream's socket is destroyed after 2 deltas, no `done` (the chat completes in the background)
//   #slow      200 ms between deltas
// Bot triggers: "my name is X" / "I am X" / "我叫X" / "我的名字是X"; "what is my name?" / "我叫什么";
//   "where is my order 42" (tool call get_order_status); "#markdown"; "#long N" (N words);
//   "#vars" (lists the chat's custom_variables); else "You said: …".
//
// Workflows (options `workflows`, default DEFAULT_WORKFLOW_ID): /v1/workflow/run (sync, or is_async
// + /v1/workflows/{id}/run_histories/{execute_id}), /v1/workflow/stream_run, /v1/workflow/stream_resume,
// /v1/workflows/resume. Input parameters.USER_INPUT (or .input), object or JSON string; output
// {"output":"Workflow answer: <input>"} streamed by node "Message", then the end node, then Done.
//   #ask   stops at node "Question" ("Which city?", Interrupt type 2, event_id "<execute_id>/<n>");
//          a resume answers "Workflow answer: <input> in <resume_data>"; an empty resume_data asks
//          again; at most 3 resumes per question; a wrong event_id → 4000
//   #fail  Error {5000,…} after 2 pieces (sync: code 5000)    #slow  300 ms before each piece
//   PINGs go out after `workflowPingMs` (fault, default 100) without an event.
// Chatflows (options `chatflows` and `apps`, defaults DEFAULT_CHATFLOW_ID, DEFAULT_APP_ID):
//   /v1/workflows/chat, see chatflow.ts (name memory, #ask question + reply, #fail, #slow).
// Unknown workflow/chatflow/bot/app id → 4200; bot_id with app_id → 4000.
//
// Test knobs: setFaults()/resetFaults(), or over HTTP with the control token (option
// `controlToken`, else a random one: `sim.controlToken`) in X-Simulator-Control:
//   POST /_simulator/faults (JSON Partial<Faults>), GET|DELETE /_simulator/faults,
//   GET /_simulator/stats, POST /_simulator/stats/reset.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import {
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { AuthStore } from './auth.js';
import { emptyStats, type SimContext } from './context.js';
import { DEFAULT_BOT_ID } from './conversations.js';
import { FaultState, type Faults } from './faults.js';
import { createIdGenerator } from './ids.js';
import { Records } from './records.js';
import { createDispatcher } from './server.js';
import { Sleeper } from './sleeper.js';
import { WorkflowStore } from './workflow-store.js';

export { DEFAULT_BOT_ID } from './conversations.js';
export type { Faults } from './faults.js';

export const DEFAULT_WORKFLOW_ID = '7600000000000000001';
export const DEFAULT_CHATFLOW_ID = '7600000000000000002';
export const DEFAULT_APP_ID = '7600000000000000003';

export interface SimulatorOptions {
  port?: number;
  host?: string;
  pats?: string[];
  oauthApps?: { clientId: string; keyId: string; publicKeyPem: string }[];
  audience?: string;
  botIds?: string[];
  /** Published workflow ids (default [DEFAULT_WORKFLOW_ID]); others answer 4200. */
  workflows?: string[];
  /** Published chatflow ids (default [DEFAULT_CHATFLOW_ID]). */
  chatflows?: string[];
  /** App ids accepted as `app_id` (default [DEFAULT_APP_ID]). */
  apps?: string[];
  deltaDelayMs?: number;
  chunkChars?: number;
  log?: (line: string) => void;
  /** The credential of the /_simulator/ control routes (default: random, see `controlToken`). */
  controlToken?: string;
}

export interface SimulatorStats {
  tokenExchanges: number;
  tokenExchangesBySession: Record<string, number>;
  tokenRequestsFailed: number;
  chats: number;
  busy4016: number;
  conversationsCreated: number;
  requests: number;
  /** /v1/workflow/run and /v1/workflow/stream_run calls that started a run. */
  workflowRuns: number;
  /** /v1/workflows/chat calls that started a chat. */
  chatflowRuns: number;
  /** Accepted workflow resumes (stream and non-stream) and chatflow replies to a pending question. */
  resumes: number;
  /** Connections opened, by protocol (HTTP/2 is h2c: without TLS). */
  connections: { http1: number; http2: number };
}

export interface Simulator {
  url: string;
  /** Send it as X-Simulator-Control to use the /_simulator/ control routes. */
  controlToken: string;
  stats(): SimulatorStats;
  resetStats(): void;
  setFaults(f: Partial<Faults>): void;
  resetFaults(): void;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  // One port, both protocols: HTTP/1.1, and HTTP/2 without TLS (h2c, prior knowledge), told apart
  // by the connection's first bytes (HTTP/2's preface starts "PRI "). The h2c server's
  // compatibility request and response are what the handlers use of node:http's.
  const h1 = createServer();
  const h2 = createHttp2Server();
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    socket.once('data', (first) => {
      socket.pause();
      socket.unshift(first);
      // An HTTP/2 session takes what is buffered and then reads the socket itself.
      if (first.subarray(0, 4).toString('latin1') === 'PRI ') {
        ctx.stats.connections.http2++;
        h2.emit('connection', socket);
      } else {
        ctx.stats.connections.http1++;
        h1.emit('connection', socket);
        socket.resume();
      }
    });
  });
  const address = await listen(server, options.port ?? 0, host);
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const netloc = `${hostPart}:${address.port}`;
  const sleeper = new Sleeper();
  const faults = new FaultState();
  const ctx: SimContext = {
    records: new Records(createIdGenerator()),
    auth: new AuthStore(options.pats ?? [], options.oauthApps ?? [], options.audience ?? netloc),
    faults,
    stats: emptyStats(),
    botIds: new Set(options.botIds ?? [DEFAULT_BOT_ID]),
    workflowIds: new Set(options.workflows ?? [DEFAULT_WORKFLOW_ID]),
    chatflowIds: new Set(options.chatflows ?? [DEFAULT_CHATFLOW_ID]),
    appIds: new Set(options.apps ?? [DEFAULT_APP_ID]),
    workflows: new WorkflowStore(),
    deltaDelayMs: options.deltaDelayMs ?? 15,
    chunkChars: options.chunkChars ?? 4,
    sleeper,
  };
  const sim: Simulator = {
    url: `http://${netloc}`,
    controlToken: options.controlToken || randomBytes(18).toString('base64url'),
    stats: () => structuredClone(ctx.stats),
    resetStats: () => {
      ctx.stats = emptyStats();
    },
    setFaults: (f) => faults.set(f),
    resetFaults: () => faults.reset(),
    close: () =>
      new Promise<void>((resolve) => {
        sleeper.stop();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
  const dispatch = createDispatcher(ctx, { ...sim, faults: () => ({ ...faults.current }) }, options.log);
  h1.on('request', dispatch);
  // The same handlers; HTTP/2's compatibility objects stand in for node:http's.
  h2.on('request', dispatch as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void);
  return sim;
}
