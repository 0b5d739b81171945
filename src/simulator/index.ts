// A Coze-compatible test server (OpenAPI chat v3, conversations, OAuth JWT exchange) on node:http.
// It follows docs of the wire protocol only; it shares no code with the Coze client in src/coze.
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
// Test knobs: setFaults()/resetFaults(), or over HTTP without auth:
//   POST /_simulator/faults (JSON Partial<Faults>), GET|DELETE /_simulator/faults,
//   GET /_simulator/stats, POST /_simulator/stats/reset.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthStore } from './auth.js';
import { emptyStats, type SimContext } from './context.js';
import { DEFAULT_BOT_ID } from './conversations.js';
import { FaultState, type Faults } from './faults.js';
import { createIdGenerator } from './ids.js';
import { createDispatcher } from './server.js';
import { Sleeper } from './sleeper.js';
import { Store } from './store.js';

export { DEFAULT_BOT_ID } from './conversations.js';
export type { Faults } from './faults.js';

export interface SimulatorOptions {
  port?: number;
  host?: string;
  pats?: string[];
  oauthApps?: { clientId: string; keyId: string; publicKeyPem: string }[];
  audience?: string;
  botIds?: string[];
  deltaDelayMs?: number;
  chunkChars?: number;
  log?: (line: string) => void;
}

export interface SimulatorStats {
  tokenExchanges: number;
  tokenExchangesBySession: Record<string, number>;
  tokenRequestsFailed: number;
  chats: number;
  busy4016: number;
  conversationsCreated: number;
  requests: number;
}

export interface Simulator {
  url: string;
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
  const server = createServer();
  server.on('connection', (socket) => socket.setNoDelay(true));
  const address = await listen(server, options.port ?? 0, host);
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const netloc = `${hostPart}:${address.port}`;
  const sleeper = new Sleeper();
  const faults = new FaultState();
  const ctx: SimContext = {
    store: new Store(createIdGenerator()),
    auth: new AuthStore(options.pats ?? [], options.oauthApps ?? [], options.audience ?? netloc),
    faults,
    stats: emptyStats(),
    botIds: new Set(options.botIds ?? [DEFAULT_BOT_ID]),
    deltaDelayMs: options.deltaDelayMs ?? 15,
    chunkChars: options.chunkChars ?? 4,
    sleeper,
  };
  const sim: Simulator = {
    url: `http://${netloc}`,
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
        server.closeAllConnections();
      }),
  };
  server.on('request', createDispatcher(ctx, { ...sim, faults: () => ({ ...faults.current }) }, options.log));
  return sim;
}
