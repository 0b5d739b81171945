import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.js';
import { createCozeClient, createTokenProvider, type TokenProvider } from '../coze/index.js';
import { buildApp, CredentialCheck, cozeCredentialProbe } from '../http/index.js';
import { Sessions } from '../identity/index.js';
import { type Ledger, openLedger } from '../ledger/index.js';
import { createLogger, createMetrics, type Logger } from '../observability/index.js';
import {
  DEFAULT_APP_ID,
  DEFAULT_BOT_ID,
  DEFAULT_CHATFLOW_ID,
  DEFAULT_WORKFLOW_ID,
  type Simulator,
  startSimulator,
} from '../simulator/index.js';
import {
  type EventStreams,
  openStore,
  RateLimiter,
  RedisEventStreams,
  type Store,
  storeTokenCache,
} from '../state/index.js';
import { ToolRunner } from '../tools/index.js';
import { CircuitBreaker, type RecoveryDeps, recoverTurns, TurnRunner } from '../turns/index.js';

export interface Gateway {
  url: string;
  app: FastifyInstance;
  ledger: Ledger;
  store: Store;
  tokens: TokenProvider;
  logger: Logger;
  /** The built-in simulator, when no Coze credential was configured. */
  simulator?: Simulator;
  /** Stops accepting, lets running turns finish up to `graceMs`, records the rest as interrupted. */
  close(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  /** Where logs go (default stdout). */
  logDestination?: NodeJS.WritableStream;
}

/** The composition root: builds every part from the config, wires them, and listens. */
export async function startGateway(config: Readonly<Config>, o: StartOptions = {}): Promise<Gateway> {
  const logger = createLogger(config.log.level, o.logDestination);
  const metrics = createMetrics();
  // The parts that may be unreachable come first, so a bad DATABASE_URL or REDIS_URL stops
  // start-up with one line before anything else has started.
  const ledger = await openLedger(config.database);
  const cleanups: Array<() => Promise<void>> = [() => ledger.close()];
  let store: Store;
  try {
    store = await openStore(config.redis);
  } catch (e) {
    await ledger.close();
    throw e;
  }
  cleanups.push(() => store.close());

  try {
    const upstream = await resolveUpstream(config, logger);
    if (upstream.simulator) cleanups.push(() => upstream.simulator!.close());
    // A turn can never run longer than TURN_TIMEOUT_MS: anything pending for longer belongs to a
    // process that died, and is ended now so that no turn stays pending.
    const stale = await ledger.interruptStaleTurns(config.turns.timeoutMs + 60_000);
    if (stale > 0)
      logger.warn({ turns: stale }, 'marked turns left pending by a previous process as interrupted');
    const retention = scheduleRetention(ledger, config.database.retentionDays, logger);
    cleanups.push(async () => retention.stop());

    const tokens = createTokenProvider({
      baseUrl: upstream.baseUrl,
      jwt: upstream.jwt,
      pat: upstream.pat,
      cache: storeTokenCache(store),
      hooks: {
        onExchange: () => metrics.tokenExchanges.inc(),
        onFallback: (sessionName, err) => {
          metrics.patFallbacks.inc();
          logger.warn(
            { sessionName, err },
            'Coze OAuth token exchange failed; using the personal access token',
          );
        },
      },
    });
    const coze = createCozeClient({
      baseUrl: upstream.baseUrl,
      tokens,
      timeouts: {
        connectMs: config.coze.timeouts.connectMs,
        // Coze sends headers with its first event; both wait the same time.
        headersMs: config.coze.timeouts.firstEventMs,
        firstEventMs: config.coze.timeouts.firstEventMs,
        idleMs: config.coze.timeouts.idleMs,
      },
      http2: config.coze.http2,
      hooks: {
        onResponse: ({ path, status }) => metrics.cozeResponses.inc({ path, status: String(status) }),
      },
    });
    // With Redis, every turn's events are mirrored there so any instance can resume them.
    let streams: EventStreams | undefined;
    if (config.redis) {
      const s = new RedisEventStreams(config.redis.url, config.redis.keyPrefix);
      streams = s;
      cleanups.push(() => s.close());
    }
    const breaker = new CircuitBreaker(
      config.turns.breaker.threshold,
      config.turns.breaker.cooldownMs,
      (state) =>
        state === 'open'
          ? logger.error(
              { upstream: upstream.baseUrl },
              'circuit opened: Coze is failing; turns fail fast until a probe succeeds',
            )
          : logger.warn({ upstream: upstream.baseUrl }, 'circuit closed: Coze answers again'),
    );
    const t = config.turns;
    const tools = new ToolRunner();
    cleanups.push(() => tools.close());
    const runner = new TurnRunner({
      tools,
      coze,
      ledger,
      store,
      streams,
      breaker,
      logger,
      metrics,
      settings: {
        lockWaitMs: t.lockWaitMs,
        timeoutMs: t.timeoutMs,
        resumeRetentionMs: t.resumeRetentionMs,
        resumeMemoryTurns: t.resumeMemoryTurns,
        unavailableMessage: t.unavailableMessage,
        fallbackAnswer: t.fallbackAnswer,
      },
    });
    const recovery = scheduleRecovery(
      {
        coze,
        ledger,
        store,
        logger,
        isRunningHere: (id) => runner.isRunning(id),
        onRecovered: (id) => runner.forget(id),
        turnTimeoutMs: t.timeoutMs,
      },
      t.recoveryIntervalMs,
    );
    cleanups.push(async () => recovery.stop());
    const sessions = new Sessions(store);
    const credential = new CredentialCheck(cozeCredentialProbe(coze), {
      onChange: (status, err) => credentialLog(logger, config, upstream.baseUrl, status, err),
    });
    const app = buildApp({
      config,
      logger,
      metrics,
      sessions,
      runner,
      ledger,
      store,
      tokens,
      credential,
      upstream: { mode: config.coze.mode, baseUrl: upstream.baseUrl },
      apps: new Map(config.apps.map((a) => [a.id, a])),
      limiter: new RateLimiter(store),
    });
    await app.listen({ port: config.server.port, host: config.server.host });
    // Checked once now (in the background: start-up does not wait for Coze); /ready waits for it.
    void credential.check();
    const { port } = app.server.address() as AddressInfo;
    const url = `http://${config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host}:${port}`;

    let closing: Promise<void> | undefined;
    const close = (graceMs = config.turns.shutdownGraceMs) =>
      (closing ??= (async () => {
        const t0 = performance.now();
        recovery.stop();
        const stopped = app.close();
        // Connections that fall idle while closing (a finished stream's, a proxy's keep-alive pool)
        // are closed as they do: closing must not wait for clients to hang up (KEEP_ALIVE_TIMEOUT_MS).
        const reaper = setInterval(() => app.server.closeIdleConnections(), 200);
        const pending = runner.active.map((turn) => turn.result);
        await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, graceMs).unref())]);
        const cut = runner.active.length;
        // Recorded `interrupted` (GW_INTERRUPTED): recovery reads Coze for them on the next start.
        for (const turn of runner.active) turn.stop('shutdown');
        await Promise.all(runner.active.map((turn) => turn.result));
        logger.info(
          { finished: pending.length - cut, interrupted: cut, ms: Math.round(performance.now() - t0) },
          'running turns ended',
        );
        app.server.closeIdleConnections();
        // What is still open after the turns (a request body still arriving) gets a moment, no more.
        const last = setTimeout(() => app.server.closeAllConnections(), 2000);
        await stopped;
        clearTimeout(last);
        clearInterval(reaper);
        for (const c of cleanups.reverse()) await c().catch(() => {});
        logger.info({ ms: Math.round(performance.now() - t0) }, 'gateway closed');
      })());
    return { url, app, ledger, store, tokens, logger, simulator: upstream.simulator, close };
  } catch (e) {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    throw e;
  }
}

/** One line when the Coze credential stops or starts working, naming the setting to fix. */
function credentialLog(
  logger: Logger,
  config: Readonly<Config>,
  baseUrl: string,
  status: string,
  err: unknown,
): void {
  if (status === 'ok') {
    logger.info({ upstream: baseUrl }, 'Coze credential works: a token was obtained and accepted');
    return;
  }
  const setting =
    config.coze.mode === 'simulator'
      ? 'the built-in simulator'
      : config.coze.jwt
        ? `COZE_CLIENT_ID/COZE_KEY_ID/COZE_PRIVATE_KEY_FILE${config.coze.pat ? ' (and the fallback COZE_PAT)' : ''}`
        : 'COZE_PAT';
  const what =
    status === 'GW_COZE_AUTH'
      ? `Coze refused the credential in ${setting}: check it, and that COZE_BASE_URL (${baseUrl}) is its region`
      : `Coze at COZE_BASE_URL (${baseUrl}) could not be reached to check ${setting}`;
  logger.error(
    { code: status, err, upstream: baseUrl },
    `${what}; /ready reports not ready until it works (checked again every 30 s while probed)`,
  );
}

/** Recovers abandoned turns now and every `everyMs`, one pass at a time. */
function scheduleRecovery(deps: RecoveryDeps, everyMs: number): { stop(): void } {
  let running = false;
  let stopped = false;
  const pass = async () => {
    if (running || stopped) return;
    running = true;
    try {
      const r = await recoverTurns(deps);
      if (r.recovered || r.interrupted) deps.logger.info(r, 'recovered turns left unfinished');
    } catch (err) {
      deps.logger.warn({ err }, 'turn recovery pass failed; will try again');
    } finally {
      running = false;
    }
  };
  const first = setTimeout(pass, 0);
  const timer = setInterval(pass, everyMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}

/** Deletes turns older than RETENTION_DAYS now and every hour (every instance may; it is idempotent). */
function scheduleRetention(ledger: Ledger, days: number, logger: Logger): { stop(): void } {
  if (days <= 0) return { stop() {} };
  const sweep = () =>
    ledger.deleteOlderThan(days).then(
      (r) => {
        if (r.turns || r.conversations) logger.info({ ...r, days }, 'retention: deleted old turns');
      },
      (err) => logger.warn({ err }, 'retention sweep failed; will try again in an hour'),
    );
  void sweep();
  const timer = setInterval(sweep, 3_600_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function simulatorTargets(config: Readonly<Config>) {
  const ids = (pick: (t: Config['apps'][number]['target']) => string | undefined, fallback: string) => [
    ...new Set([
      fallback,
      ...config.apps.map((a) => pick(a.target)).filter((x): x is string => x !== undefined),
    ]),
  ];
  return {
    botIds: ids((t) => t.botId, DEFAULT_BOT_ID),
    workflows: ids((t) => (t.type === 'workflow' ? t.workflowId : undefined), DEFAULT_WORKFLOW_ID),
    chatflows: ids((t) => (t.type === 'chatflow' ? t.workflowId : undefined), DEFAULT_CHATFLOW_ID),
    apps: ids((t) => (t.type === 'bot' ? undefined : t.appId), DEFAULT_APP_ID),
  };
}

interface Upstream {
  baseUrl: string;
  jwt?: Config['coze']['jwt'];
  pat?: string;
  simulator?: Simulator;
}

/**
 * Real Coze when a credential is configured. Otherwise the built-in simulator, reached over real
 * HTTP with a key pair made for this run: the same OAuth JWT path as production, plus a PAT.
 */
async function resolveUpstream(config: Readonly<Config>, logger: Logger): Promise<Upstream> {
  if (config.coze.mode === 'coze') {
    return {
      baseUrl: config.coze.baseUrl,
      jwt: config.coze.jwt,
      pat: config.coze.pat,
    };
  }
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyId = 'simulator-key';
  const clientId = '1100000000001';
  const pat = 'pat_simulator_local';
  const simulator = await startSimulator({
    oauthApps: [
      { clientId, keyId, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    ],
    pats: [pat],
    // Every app's bot, chatflow and workflow exists in the simulator too.
    ...simulatorTargets(config),
    deltaDelayMs: config.coze.simulator.deltaDelayMs,
  });
  logger.warn(
    { simulator: simulator.url },
    'no Coze credential is set: using the built-in Coze simulator (set COZE_PAT or COZE_CLIENT_ID/COZE_KEY_ID/COZE_PRIVATE_KEY_FILE, and COZE_BOT_ID, to talk to Coze)',
  );
  return {
    baseUrl: simulator.url,
    jwt: {
      clientId,
      keyId,
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      ttlSeconds: config.coze.tokenTtlSeconds,
    },
    pat,
    simulator,
  };
}
