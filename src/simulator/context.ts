// What every route handler gets: the shared simulator state and the request at hand.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthStore, Identity } from './auth.js';
import type { FaultState } from './faults.js';
import type { SimulatorStats } from './index.js';
import type { Records } from './records.js';
import type { Sleeper } from './sleeper.js';
import type { WorkflowStore } from './workflow-store.js';

export interface SimContext {
  records: Records;
  auth: AuthStore;
  faults: FaultState;
  stats: SimulatorStats;
  botIds: ReadonlySet<string>;
  workflowIds: ReadonlySet<string>;
  chatflowIds: ReadonlySet<string>;
  appIds: ReadonlySet<string>;
  workflows: WorkflowStore;
  deltaDelayMs: number;
  chunkChars: number;
  /** Woken by close(): running chat rounds stop waiting. */
  sleeper: Sleeper;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  logId: string;
}

export interface AuthedRequest extends RequestContext {
  identity: Identity;
}

export function emptyStats(): SimulatorStats {
  return {
    tokenExchanges: 0,
    tokenExchangesBySession: {},
    tokenRequestsFailed: 0,
    chats: 0,
    busy4016: 0,
    conversationsCreated: 0,
    requests: 0,
    workflowRuns: 0,
    chatflowRuns: 0,
    resumes: 0,
    connections: { http1: 0, http2: 0 },
  };
}
