import type { FastifyRequest } from 'fastify';
import type { AppConfig, Config } from '../config/index.js';
import type { TokenProvider } from '../coze/index.js';
import { GatewayError } from '../errors.js';
import type { Session, Sessions } from '../identity/index.js';
import type { Ledger } from '../ledger/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import type { RateLimiter, Store } from '../state/index.js';
import type { TurnRunner } from '../turns/index.js';
import { checkOrigin } from './apps.js';
import type { CredentialCheck } from './credential.js';

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
  /** Whether a working Coze token can be had (checked at start, remembered): for /ready. */
  credential: CredentialCheck;
  /** Where the upstream is, for /v1/meta and the demo page. */
  upstream: { mode: 'coze' | 'simulator'; baseUrl: string };
  /** The apps (tenants), by id. */
  apps: ReadonlyMap<string, AppConfig>;
  /** Rate limits over the shared Store (exact across instances with Redis). */
  limiter: Pick<RateLimiter, 'check'>;
}

/**
 * The session of an `Authorization: Bearer <session token>` request, with its app. A browser
 * request must come from an origin the app allows (a visitor's: the page it was made for).
 */
export async function requireSession(
  deps: AppDeps,
  req: FastifyRequest,
): Promise<{ session: Session; app: AppConfig }> {
  const header = req.headers.authorization;
  if (!header) throw new GatewayError('GW_UNAUTHENTICATED');
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  const session = await deps.sessions.verify(m?.[1]);
  const app = deps.apps.get(session.appId);
  // An app removed from the configuration takes its sessions with it.
  if (!app) throw new GatewayError('GW_SESSION_EXPIRED');
  checkOrigin(req, app, session);
  return { session, app };
}
