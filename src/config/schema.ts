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

/** `<per minute>/<burst>`, e.g. `60/10`. */
const rate = (name: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      const m = /^\s*(\d{1,7})\s*\/\s*(\d{1,7})\s*$/.exec(v);
      if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be <per minute>/<burst>, e.g. 60/10 (got "${v}")`,
        });
        return z.NEVER;
      }
      return { perMinute: Number(m[1]), burst: Number(m[2]) };
    });

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** The environment variables the gateway reads, with their defaults and ranges. */
export const envSchema = z.object({
  PORT: int('PORT', 0, 65535, 8080),
  HOST: z.string().optional().default('0.0.0.0'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .optional()
    .default('info'),
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
  DATABASE_URL: z.string().optional().default('sqlite:./data/coze-gateway.db'),
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
  GATEWAY_VISITORS: bool('GATEWAY_VISITORS', true),
  GATEWAY_ADMIN_TOKEN: optionalString,
  ALLOWED_ORIGINS: optionalString,
  SESSION_TTL: int('SESSION_TTL', 1, 30 * 86400, 86400),
  MAX_MESSAGE_CHARS: int('MAX_MESSAGE_CHARS', 1, 100_000, 4000),
  MAX_CONVERSATIONS_PER_USER: int('MAX_CONVERSATIONS_PER_USER', 1, 100_000, 100),
  RATE_LIMIT_USER: rate('RATE_LIMIT_USER'),
  RATE_LIMIT_IP: rate('RATE_LIMIT_IP'),
  RATE_LIMIT_APP: rate('RATE_LIMIT_APP'),
  RATE_LIMIT_SESSIONS_PER_IP: rate('RATE_LIMIT_SESSIONS_PER_IP'),
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
