import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type AppConfig, type AppInput, loadAppsFile, parseApp, type Setting } from './apps.js';
import { ConfigError, got, withoutPassword } from './config-error.js';
import { DEFAULT_DATABASE_URL, type Env, envSchema, SECRET_SETTINGS } from './schema.js';
import { checkTimeouts, parseTrustProxy, ServerSettingError, type ServerTimeouts } from './server.js';

export { ConfigError };

/** The built-in simulator's bot (src/simulator DEFAULT_BOT_ID; a test keeps the two equal). */
export const SIMULATOR_BOT_ID = '7500000000000000001';

export interface JwtAppConfig {
  clientId: string;
  keyId: string;
  privateKeyPem: string;
  ttlSeconds: number;
}

export interface DatabaseConfig {
  kind: 'sqlite' | 'postgres' | 'mysql';
  /** As given (may hold a password: never log it; see `redactedUrl`). */
  url: string;
  /** The URL with any password replaced by `***`, for messages and logs. */
  redactedUrl: string;
  /** SQLite only: the file (or `:memory:`). */
  path?: string;
  poolMax: number;
  connectTimeoutMs: number;
  /** Run migrations at start (`coze-gateway migrate` runs them on their own). */
  migrate: boolean;
  /** Delete turns (and conversations left without turns) older than this many days; 0 keeps all. */
  retentionDays: number;
}

export interface RedisConfig {
  url: string;
  redactedUrl: string;
  keyPrefix: string;
  connectTimeoutMs: number;
}

export interface Config {
  server: {
    port: number;
    host: string;
    bodyLimitBytes: number;
    /** TRUST_PROXY: false, or the trusted proxies' addresses/CIDRs (never `true`, never a hop count). */
    trustProxy: false | readonly string[];
    sseHeartbeatMs: number;
    timeouts: ServerTimeouts;
    /** Per-address rate limits count an IPv6 client by this prefix (an IPv4 one by its address). */
    ipv6Prefix: number;
  };
  log: { level: Env['LOG_LEVEL'] };
  coze: {
    /** `simulator`: no credential was given, the built-in simulator is the upstream. */
    mode: 'coze' | 'simulator';
    baseUrl: string;
    jwt?: JwtAppConfig;
    pat?: string;
    /** Requested lifetime of OAuth access tokens (also used with the built-in simulator). */
    tokenTtlSeconds: number;
    timeouts: { connectMs: number; firstEventMs: number; idleMs: number };
    /** Calls to Coze go over HTTP/2 only, many streams to a connection (h2c for http: URLs). */
    http2: boolean;
    simulator: { deltaDelayMs: number };
  };
  database: DatabaseConfig;
  /** Shared state for several instances; absent: state lives in this process's memory. */
  redis?: RedisConfig;
  /** The apps (tenants); the env-only setup is one app, `default`. */
  apps: readonly AppConfig[];
  /** Guards admin endpoints (compared in constant time); unset: admin endpoints are off. */
  adminToken?: string;
  /**
   * Open answer streams (chat streams and resumes) one user, or one client address, may hold on
   * this instance at once (decision 0026).
   */
  streams: { perUser: number; perAddress: number };
  turns: {
    lockWaitMs: number;
    timeoutMs: number;
    cancelOnDisconnect: boolean;
    shutdownGraceMs: number;
    /** How long a finished turn's events stay available to resume. */
    resumeRetentionMs: number;
    /** How many finished turns keep their events in this instance's memory (the newest). */
    resumeMemoryTurns: number;
    recoveryIntervalMs: number;
    breaker: { threshold: number; cooldownMs: number };
    /** Shown to users while Coze is unreachable (circuit open). */
    unavailableMessage?: string;
    /** Optional text offered instead of an answer while Coze is unreachable. */
    fallbackAnswer?: string;
  };
}

/** Reads and validates the configuration. Throws ConfigError on the first bad setting. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const setting = String(issue.path[0] ?? 'configuration');
    const message = issue.message.startsWith(setting) ? issue.message : `${setting} ${issue.message}`;
    // Messages of the schema's own checks carry the value; zod's do not.
    throw new ConfigError(
      /\(got /.test(message) ? message : `${message}${got(env[setting], SECRET_SETTINGS.has(setting))}`,
    );
  }
  const e = parsed.data;
  const baseUrl = parseBaseUrl(e.COZE_BASE_URL);
  const jwt = parseJwtApp(e);
  if (e.GATEWAY_ADMIN_TOKEN !== undefined && e.GATEWAY_ADMIN_TOKEN.length < 16) {
    throw new ConfigError(
      `GATEWAY_ADMIN_TOKEN must be at least 16 characters${got(e.GATEWAY_ADMIN_TOKEN, true)}; generate one with \`openssl rand -hex 32\``,
    );
  }
  const mode = jwt || e.COZE_PAT ? 'coze' : 'simulator';
  const target = e.COZE_BOT_ID ?? e.COZE_CHATFLOW_ID ?? e.COZE_WORKFLOW_ID ?? e.COZE_APP_ID;
  if (mode === 'simulator' && target !== undefined) {
    const name = TARGET_SETTINGS.find((n) => e[n] !== undefined)!;
    throw new ConfigError(
      `${name} is set${got(e[name])} but no Coze credential is: set COZE_PAT, or COZE_CLIENT_ID, COZE_KEY_ID and COZE_PRIVATE_KEY_FILE (or unset ${name} to try the built-in simulator)`,
    );
  }
  if (mode === 'coze' && !e.COZE_BOT_ID && !e.COZE_WORKFLOW_ID && !e.COZE_CHATFLOW_ID && !e.GATEWAY_CONFIG) {
    throw new ConfigError(
      'COZE_BOT_ID is not set: give the id of the published bot to chat with (or COZE_CHATFLOW_ID / COZE_WORKFLOW_ID)',
    );
  }
  const config: Config = {
    server: {
      port: e.PORT,
      host: e.HOST,
      bodyLimitBytes: e.BODY_LIMIT_BYTES,
      sseHeartbeatMs: e.SSE_HEARTBEAT_MS,
      ...serverSettings(e),
    },
    log: { level: e.LOG_LEVEL },
    coze: {
      mode,
      baseUrl,
      jwt,
      pat: e.COZE_PAT,
      tokenTtlSeconds: e.COZE_TOKEN_TTL,
      timeouts: {
        connectMs: e.COZE_CONNECT_TIMEOUT_MS,
        firstEventMs: e.COZE_FIRST_EVENT_TIMEOUT_MS,
        idleMs: e.COZE_IDLE_TIMEOUT_MS,
      },
      http2: e.COZE_HTTP2,
      simulator: { deltaDelayMs: e.SIMULATOR_DELTA_DELAY_MS },
    },
    database: parseDatabase(e),
    redis: parseRedis(e),
    apps: parseApps(e),
    adminToken: e.GATEWAY_ADMIN_TOKEN,
    streams: { perUser: e.MAX_STREAMS_PER_USER, perAddress: e.MAX_STREAMS_PER_ADDRESS },
    turns: {
      lockWaitMs: e.TURN_LOCK_WAIT_MS,
      timeoutMs: e.TURN_TIMEOUT_MS,
      cancelOnDisconnect: e.CANCEL_ON_DISCONNECT,
      shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
      resumeRetentionMs: e.RESUME_RETENTION_MS,
      resumeMemoryTurns: e.RESUME_MEMORY_TURNS,
      recoveryIntervalMs: e.RECOVERY_INTERVAL_MS,
      breaker: { threshold: e.BREAKER_THRESHOLD, cooldownMs: e.BREAKER_COOLDOWN_MS },
      unavailableMessage: e.COZE_UNAVAILABLE_MESSAGE,
      fallbackAnswer: e.COZE_FALLBACK_ANSWER,
    },
  };
  return deepFreeze(config);
}

function serverSettings(e: Env): Pick<Config['server'], 'trustProxy' | 'timeouts' | 'ipv6Prefix'> {
  try {
    return {
      trustProxy: parseTrustProxy(e.TRUST_PROXY),
      timeouts: checkTimeouts({
        requestMs: e.REQUEST_TIMEOUT_MS,
        headersMs: e.HEADERS_TIMEOUT_MS,
        keepAliveMs: e.KEEP_ALIVE_TIMEOUT_MS,
        // A sync chat waits silently for its turn: a connection is idle-closed only after that.
        idleMs: e.TURN_TIMEOUT_MS + 60_000,
      }),
      ipv6Prefix: e.RATE_LIMIT_IPV6_PREFIX,
    };
  } catch (err) {
    if (err instanceof ServerSettingError) throw new ConfigError(err.message);
    throw err;
  }
}

const TARGET_SETTINGS = ['COZE_BOT_ID', 'COZE_CHATFLOW_ID', 'COZE_WORKFLOW_ID', 'COZE_APP_ID'] as const;

function parseApps(e: Env): AppConfig[] {
  if (e.GATEWAY_CONFIG) return loadAppsFile(e.GATEWAY_CONFIG);
  const { input, settingOf } = envApp(e);
  return [parseApp(input, settingOf)];
}

/** Env settings of the env-only app, by the app field they fill (as in the apps file). */
const ENV_APP_FIELDS = {
  visitors: 'GATEWAY_VISITORS',
  session_ttl: 'SESSION_TTL',
  max_message_chars: 'MAX_MESSAGE_CHARS',
  max_conversations_per_user: 'MAX_CONVERSATIONS_PER_USER',
} as const;
const ENV_RATE_LIMITS = {
  user: 'RATE_LIMIT_USER',
  ip: 'RATE_LIMIT_IP',
  app: 'RATE_LIMIT_APP',
  sessions_per_ip: 'RATE_LIMIT_SESSIONS_PER_IP',
} as const;

/**
 * The env-only app, `default`, written as an app of the apps file would be, so that one schema
 * checks both (and holds the defaults). `settingOf` names the variable behind a field.
 */
function envApp(e: Env): { input: AppInput; settingOf: (path: readonly PropertyKey[]) => Setting } {
  if (e.COZE_CHATFLOW_ID && e.COZE_WORKFLOW_ID) {
    throw new ConfigError(
      'COZE_CHATFLOW_ID and COZE_WORKFLOW_ID are both set: keep one (a chatflow chats, a workflow runs once per message)',
    );
  }
  const flowId = e.COZE_CHATFLOW_ID ?? e.COZE_WORKFLOW_ID;
  const flowSetting = e.COZE_CHATFLOW_ID ? 'COZE_CHATFLOW_ID' : 'COZE_WORKFLOW_ID';
  if (!flowId && e.COZE_APP_ID) {
    throw new ConfigError(
      `COZE_APP_ID is set${got(e.COZE_APP_ID)} without COZE_CHATFLOW_ID or COZE_WORKFLOW_ID: it names the Coze app a chatflow or workflow runs in; unset it for a bot`,
    );
  }
  if (flowId && e.COZE_APP_ID && e.COZE_BOT_ID) {
    throw new ConfigError(
      `COZE_APP_ID and COZE_BOT_ID are both set: a ${e.COZE_CHATFLOW_ID ? 'chatflow' : 'workflow'} runs in one of them; keep one (Coze refuses both)`,
    );
  }
  const target: AppInput['target'] = flowId
    ? {
        type: e.COZE_CHATFLOW_ID ? 'chatflow' : 'workflow',
        workflow_id: flowId,
        ...(e.COZE_APP_ID ? { app_id: e.COZE_APP_ID } : {}),
        ...(e.COZE_BOT_ID ? { bot_id: e.COZE_BOT_ID } : {}),
      }
    : { type: 'bot', bot_id: e.COZE_BOT_ID ?? SIMULATOR_BOT_ID };
  const secretSettings = (['GATEWAY_SECRET', 'GATEWAY_SECRET_PREVIOUS'] as const).filter(
    (n) => e[n] !== undefined,
  );
  const origins = (e.ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  const input: Record<string, unknown> = {
    id: 'default',
    target,
    secrets: secretSettings.map((n) => e[n]),
    allowed_origins: origins,
    rate_limits: {},
  };
  for (const [field, name] of Object.entries(ENV_APP_FIELDS)) {
    const v = e[name];
    if (v !== undefined) input[field] = field === 'visitors' ? envBoolean(v) : envNumber(v);
  }
  for (const [rule, name] of Object.entries(ENV_RATE_LIMITS)) {
    const v = e[name];
    if (v === undefined) continue;
    const m = /^\s*(\d{1,9})\s*\/\s*(\d{1,9})\s*$/.exec(v);
    if (!m) throw new ConfigError(`${name} must be <per minute>/<burst>, e.g. 60/10${got(v)}`);
    (input.rate_limits as Record<string, unknown>)[rule] = { per_minute: Number(m[1]), burst: Number(m[2]) };
  }
  const settingOf = (path: readonly PropertyKey[]): Setting => {
    const [field, sub] = path;
    if (field === 'target') {
      const name = sub === 'app_id' ? 'COZE_APP_ID' : sub === 'workflow_id' ? flowSetting : 'COZE_BOT_ID';
      return { name, value: e[name] };
    }
    if (field === 'secrets') {
      const name = typeof sub === 'number' ? secretSettings[sub] : 'GATEWAY_SECRET';
      return { name, value: e[name], secret: true };
    }
    if (field === 'allowed_origins') {
      return { name: 'ALLOWED_ORIGINS', value: typeof sub === 'number' ? origins[sub] : e.ALLOWED_ORIGINS };
    }
    if (field === 'rate_limits' && typeof sub === 'string' && sub in ENV_RATE_LIMITS) {
      const name = ENV_RATE_LIMITS[sub as keyof typeof ENV_RATE_LIMITS];
      return { name, value: e[name] };
    }
    const name = ENV_APP_FIELDS[field as keyof typeof ENV_APP_FIELDS];
    return name ? { name, value: e[name] } : { name: `the environment's app: ${String(field)}` };
  };
  return { input: input as AppInput, settingOf };
}

/** A number where the text is one (the schema says what range); else the text, which it refuses. */
function envNumber(v: string): number | string {
  return /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
}

function envBoolean(v: string): boolean | string {
  if (/^(1|true|yes|on)$/i.test(v.trim())) return true;
  if (/^(0|false|no|off)$/i.test(v.trim())) return false;
  return v;
}

function parseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `COZE_BASE_URL is not a URL (got "${raw}"); use https://api.coze.cn or https://api.coze.com`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`COZE_BASE_URL must start with http:// or https:// (got "${raw}")`);
  }
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new ConfigError(`COZE_BASE_URL must be just the API origin, without a path (got "${raw}")`);
  }
  return url.origin;
}

function parseJwtApp(e: Env): JwtAppConfig | undefined {
  const given = {
    COZE_CLIENT_ID: e.COZE_CLIENT_ID,
    COZE_KEY_ID: e.COZE_KEY_ID,
    'COZE_PRIVATE_KEY_FILE or COZE_PRIVATE_KEY': e.COZE_PRIVATE_KEY_FILE ?? e.COZE_PRIVATE_KEY,
  };
  const missing = Object.entries(given).filter(([, v]) => v === undefined);
  if (missing.length === 3) return undefined;
  if (missing.length > 0) {
    throw new ConfigError(
      `${missing[0][0]} is not set: an OAuth JWT app needs COZE_CLIENT_ID, COZE_KEY_ID and a private key together`,
    );
  }
  if (e.COZE_PRIVATE_KEY_FILE && e.COZE_PRIVATE_KEY) {
    throw new ConfigError('COZE_PRIVATE_KEY_FILE and COZE_PRIVATE_KEY are both set: keep only one');
  }
  let pem: string;
  const setting = e.COZE_PRIVATE_KEY_FILE ? 'COZE_PRIVATE_KEY_FILE' : 'COZE_PRIVATE_KEY';
  if (e.COZE_PRIVATE_KEY_FILE) {
    try {
      pem = readFileSync(e.COZE_PRIVATE_KEY_FILE, 'utf8');
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new ConfigError(
        `COZE_PRIVATE_KEY_FILE cannot be read (${reason}: ${e.COZE_PRIVATE_KEY_FILE}); give the path of the private_key.pem downloaded from Coze`,
      );
    }
  } else {
    // Env files often carry the PEM with literal "\n" sequences.
    pem = (e.COZE_PRIVATE_KEY as string).replace(/\\n/g, '\n');
  }
  checkRsaPkcs8(pem, setting);
  return {
    clientId: e.COZE_CLIENT_ID!,
    keyId: e.COZE_KEY_ID!,
    privateKeyPem: pem,
    ttlSeconds: e.COZE_TOKEN_TTL,
  };
}

function checkRsaPkcs8(pem: string, setting: string): void {
  const fix = 'use the PKCS#8 private_key.pem that Coze gives when you create the key pair';
  if (!pem.includes('-----BEGIN PRIVATE KEY-----')) {
    const hint = pem.includes('BEGIN RSA PRIVATE KEY')
      ? ' (this is PKCS#1: convert it with `openssl pkcs8 -topk8 -nocrypt`)'
      : '';
    throw new ConfigError(`${setting} is not a PKCS#8 private key${hint}; ${fix}`);
  }
  let type: string | undefined;
  try {
    type = createPrivateKey({ key: pem, format: 'pem' }).asymmetricKeyType;
  } catch {
    throw new ConfigError(`${setting} holds a damaged private key; ${fix}`);
  }
  if (type !== 'rsa') throw new ConfigError(`${setting} is a ${type} key, not RSA; ${fix}`);
}

const DATABASE_SCHEMES: Record<string, 'postgres' | 'mysql'> = {
  'postgres:': 'postgres',
  'postgresql:': 'postgres',
  'mysql:': 'mysql',
  'mariadb:': 'mysql',
};

function parseDatabase(e: Env): DatabaseConfig {
  const raw = e.DATABASE_URL;
  const common = {
    poolMax: e.DATABASE_POOL_MAX,
    connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
    migrate: e.DATABASE_MIGRATE,
    retentionDays: e.RETENTION_DAYS,
  };
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '')
      throw new ConfigError('DATABASE_URL sqlite: needs a path, e.g. sqlite:./data/coze-gateway.db');
    checkSqliteFolder(path);
    return { kind: 'sqlite', url: raw, redactedUrl: raw, path, ...common };
  }
  const url = parseServiceUrl('DATABASE_URL', raw, Object.keys(DATABASE_SCHEMES));
  if (url.pathname.length <= 1) {
    throw new ConfigError(
      `DATABASE_URL must name the database, e.g. ${url.protocol}//user@host/coze_gateway${got(withoutPassword(raw))}`,
    );
  }
  return { kind: DATABASE_SCHEMES[url.protocol], url: raw, redactedUrl: redact(url), ...common };
}

const DEFAULT_SQLITE_PATH = DEFAULT_DATABASE_URL.slice('sqlite:'.length);

/**
 * A SQLite file's folder must exist (a typo in a path must not quietly make a tree of folders and
 * an empty database there); only the default `data/` folder of the quick start is made.
 */
function checkSqliteFolder(path: string): void {
  if (path === ':memory:' || resolve(path) === resolve(DEFAULT_SQLITE_PATH)) return;
  const folder = dirname(resolve(path));
  if (!existsSync(folder)) {
    throw new ConfigError(
      `DATABASE_URL names a SQLite file in a folder that does not exist${got(`sqlite:${path}`)}; create ${folder} first, or fix the path`,
    );
  }
}

function parseRedis(e: Env): RedisConfig | undefined {
  if (!e.REDIS_URL) return undefined;
  const url = parseServiceUrl('REDIS_URL', e.REDIS_URL, ['redis:', 'rediss:']);
  return {
    url: e.REDIS_URL,
    redactedUrl: redact(url),
    keyPrefix: e.REDIS_KEY_PREFIX,
    connectTimeoutMs: e.REDIS_CONNECT_TIMEOUT_MS,
  };
}

function parseServiceUrl(setting: string, raw: string, schemes: string[]): URL {
  const hint = setting === 'DATABASE_URL' ? ', or sqlite:<path> (e.g. sqlite:./data/coze-gateway.db)' : '';
  const expected = `${schemes.map((s) => `${s}//`).join(', ')}${hint}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${setting} is not a URL; use one of ${expected}${got(withoutPassword(raw))}`);
  }
  if (!schemes.includes(url.protocol)) {
    throw new ConfigError(
      `${setting} scheme "${url.protocol.slice(0, -1)}" is not supported; use ${expected}${got(withoutPassword(raw))}`,
    );
  }
  return url;
}

function redact(url: URL): string {
  if (!url.password) return url.href;
  const copy = new URL(url.href);
  copy.password = '***';
  return copy.href;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
