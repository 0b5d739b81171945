// The one configuration object: read from the environment, validated once, frozen, passed down.
// No other module reads process.env. An error names the setting and says what to do.
import { z } from 'zod';

const int = (name: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be a whole number from ${min} to ${max} (got "${v}")`,
        });
        return z.NEVER;
      }
      return n;
    });

const bool = (name: string, fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      if (/^(1|true|yes|on)$/i.test(v)) return true;
      if (/^(0|false|no|off)$/i.test(v)) return false;
      ctx.addIssue({ code: 'custom', message: `${name} must be true or false (got "${v}")` });
      return z.NEVER;
    });

/** One of a few words, e.g. a log level. */
const oneOf = <const T extends readonly [string, ...string[]]>(
  name: string,
  values: T,
  fallback: T[number],
) =>
  z
    .string()
    .optional()
    .transform((v, ctx): T[number] => {
      if (v === undefined || v.trim() === '') return fallback;
      if ((values as readonly string[]).includes(v.trim())) return v.trim() as T[number];
      ctx.addIssue({ code: 'custom', message: `${name} must be one of ${values.join(', ')} (got "${v}")` });
      return z.NEVER;
    });

/** The quick start's database (its folder, `data/`, is the one folder made on a first run). */
export const DEFAULT_DATABASE_URL = 'sqlite:./data/coze-gateway.db';

/** Settings whose values never appear in a message (only their length). */
export const SECRET_SETTINGS: ReadonlySet<string> = new Set([
  'COZE_PAT',
  'COZE_PRIVATE_KEY',
  'GATEWAY_SECRET',
  'GATEWAY_SECRET_PREVIOUS',
  'GATEWAY_ADMIN_TOKEN',
]);

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** The environment variables the gateway reads, with their defaults and ranges. */
export const envSchema = z.object({
  PORT: int('PORT', 0, 65535, 8080),
  HOST: z.string().optional().default('127.0.0.1'),
  LOG_LEVEL: oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  COZE_BASE_URL: z.string().optional().default('https://api.coze.cn'),
  COZE_CLIENT_ID: optionalString,
  COZE_KEY_ID: optionalString,
  COZE_PRIVATE_KEY_FILE: optionalString,
  COZE_PRIVATE_KEY: optionalString,
  COZE_TOKEN_TTL: int('COZE_TOKEN_TTL', 60, 86399, 3600),
  COZE_PAT: optionalString,
  COZE_BOT_ID: optionalString,
  COZE_WORKFLOW_ID: optionalString,
  COZE_CHATFLOW_ID: optionalString,
  COZE_APP_ID: optionalString,
  COZE_HTTP2: bool('COZE_HTTP2', false),
  COZE_CONNECT_TIMEOUT_MS: int('COZE_CONNECT_TIMEOUT_MS', 100, 120_000, 10_000),
  COZE_FIRST_EVENT_TIMEOUT_MS: int('COZE_FIRST_EVENT_TIMEOUT_MS', 100, 600_000, 60_000),
  COZE_IDLE_TIMEOUT_MS: int('COZE_IDLE_TIMEOUT_MS', 100, 600_000, 90_000),
  SIMULATOR_DELTA_DELAY_MS: int('SIMULATOR_DELTA_DELAY_MS', 0, 10_000, 30),
  DATABASE_URL: z.string().optional().default(DEFAULT_DATABASE_URL),
  DATABASE_POOL_MAX: int('DATABASE_POOL_MAX', 1, 1000, 10),
  DATABASE_CONNECT_TIMEOUT_MS: int('DATABASE_CONNECT_TIMEOUT_MS', 100, 120_000, 5000),
  DATABASE_MIGRATE: bool('DATABASE_MIGRATE', true),
  RETENTION_DAYS: int('RETENTION_DAYS', 0, 36500, 0),
  REDIS_URL: optionalString,
  REDIS_KEY_PREFIX: z.string().optional().default('cg:'),
  REDIS_CONNECT_TIMEOUT_MS: int('REDIS_CONNECT_TIMEOUT_MS', 100, 120_000, 5000),
  GATEWAY_CONFIG: optionalString,
  GATEWAY_SECRET: optionalString,
  GATEWAY_SECRET_PREVIOUS: optionalString,
  GATEWAY_VISITORS: optionalString,
  GATEWAY_ADMIN_TOKEN: optionalString,
  ALLOWED_ORIGINS: optionalString,
  // The env-only app's settings: checked (and defaulted) by the apps file's schema, in apps.ts.
  SESSION_TTL: optionalString,
  MAX_MESSAGE_CHARS: optionalString,
  MAX_CONVERSATIONS_PER_USER: optionalString,
  RATE_LIMIT_USER: optionalString,
  RATE_LIMIT_IP: optionalString,
  RATE_LIMIT_APP: optionalString,
  RATE_LIMIT_SESSIONS_PER_IP: optionalString,
  BODY_LIMIT_BYTES: int('BODY_LIMIT_BYTES', 1024, 10 * 1024 * 1024, 64 * 1024),
  TURN_LOCK_WAIT_MS: int('TURN_LOCK_WAIT_MS', 0, 120_000, 5000),
  TURN_TIMEOUT_MS: int('TURN_TIMEOUT_MS', 1000, 3_600_000, 600_000),
  CANCEL_ON_DISCONNECT: bool('CANCEL_ON_DISCONNECT', false),
  SHUTDOWN_GRACE_MS: int('SHUTDOWN_GRACE_MS', 0, 600_000, 10_000),
  RESUME_RETENTION_MS: int('RESUME_RETENTION_MS', 1000, 86_400_000, 600_000),
  RESUME_MEMORY_TURNS: int('RESUME_MEMORY_TURNS', 0, 1_000_000, 10_000),
  RECOVERY_INTERVAL_MS: int('RECOVERY_INTERVAL_MS', 100, 3_600_000, 15_000),
  BREAKER_THRESHOLD: int('BREAKER_THRESHOLD', 1, 1000, 5),
  BREAKER_COOLDOWN_MS: int('BREAKER_COOLDOWN_MS', 100, 600_000, 10_000),
  COZE_UNAVAILABLE_MESSAGE: optionalString,
  COZE_FALLBACK_ANSWER: optionalString,
  SSE_HEARTBEAT_MS: int('SSE_HEARTBEAT_MS', 100, 600_000, 15_000),
  MAX_STREAMS_PER_USER: int('MAX_STREAMS_PER_USER', 1, 1_000_000, 10),
  MAX_STREAMS_PER_ADDRESS: int('MAX_STREAMS_PER_ADDRESS', 1, 1_000_000, 100),
  TRUST_PROXY: optionalString,
  RATE_LIMIT_IPV6_PREFIX: int('RATE_LIMIT_IPV6_PREFIX', 16, 128, 64),
  REQUEST_TIMEOUT_MS: int('REQUEST_TIMEOUT_MS', 100, 3_600_000, 60_000),
  HEADERS_TIMEOUT_MS: int('HEADERS_TIMEOUT_MS', 100, 600_000, 20_000),
  KEEP_ALIVE_TIMEOUT_MS: int('KEEP_ALIVE_TIMEOUT_MS', 100, 600_000, 72_000),
});

export type Env = z.infer<typeof envSchema>;
