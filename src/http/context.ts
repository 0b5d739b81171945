import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/index.js';
import type { TokenProvider } from '../coze/index.js';
import { GatewayError } from '../errors.js';
import type { Session, Sessions } from '../identity/index.js';
import type { Ledger } from '../ledger/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import type { Store } from '../state/index.js';
import type { TurnRunner } from '../turns/index.js';

/** Everything the routes use, built once by the composition root (src/cli/gateway.ts). */
export interface AppDeps {
  config: Readonly<Config>;
  logger: Logger;
  metrics: Metrics;
  sessions: Sessions;
  runner: TurnRunner;
  ledger: Ledger;
  store: Store;
  tokens: TokenProvider;
  /** Where the upstream is, for /v1/meta and the demo page. */
  upstream: { mode: 'coze' | 'simulator'; baseUrl: string };
  /** The app id of the env-only setup. */
  appId: string;
}

/** The session of an `Authorization: Bearer <session token>` request. */
export function requireSession(deps: AppDeps, req: FastifyRequest): Promise<Session> {
  const header = req.headers.authorization;
  if (!header) throw new GatewayError('GW_UNAUTHENTICATED');
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return deps.sessions.verify(m?.[1]);
}
