// Apps (tenants): several sites or bots on one gateway, declared in GATEWAY_CONFIG (JSON or YAML).
// Without the file, the environment describes one app, `default`.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export interface RateRule {
  /** Sustained rate. */
  perMinute: number;
  /** How many may come at once (the bucket's size). */
  burst: number;
}

export interface AppConfig {
  id: string;
  /** The Coze bot this app chats with. */
  botId: string;
  /** Shared secrets of the host site: signed session requests and SSO JWTs. Two during rotation. */
  secrets: readonly string[];
  /** Page origins allowed to use the app from a browser (CORS, the widget). */
  allowedOrigins: readonly string[];
  visitors: boolean;
  sessionTtlSeconds: number;
  maxMessageChars: number;
  maxConversationsPerUser: number;
  /** CIDRs allowed to call POST /v1/sessions; empty: any address. */
  ipAllowlist: readonly string[];
  rateLimits: {
    /** Messages per user. */
    user: RateRule;
    /** Messages per client address. */
    ip: RateRule;
    /** Messages per app, all users together (the company's Coze budget). */
    app: RateRule;
    /** New sessions (visitor, signed, SSO) per client address. */
    sessionsPerIp: RateRule;
  };
}

export const DEFAULT_RATE_LIMITS: AppConfig['rateLimits'] = {
  user: { perMinute: 60, burst: 10 },
  ip: { perMinute: 120, burst: 30 },
  app: { perMinute: 6000, burst: 600 },
  sessionsPerIp: { perMinute: 20, burst: 10 },
};

export const APP_DEFAULTS = {
  sessionTtlSeconds: 86400,
  maxMessageChars: 4000,
  maxConversationsPerUser: 100,
} as const;

const rule = z
  .object({
    per_minute: z.number().int().min(1).max(1_000_000),
    burst: z.number().int().min(1).max(1_000_000),
  })
  .strict();

const origin = z.string().refine((o) => {
  try {
    const u = new URL(o);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === o;
  } catch {
    return false;
  }
}, 'must be an origin like https://shop.example.com (scheme, host and port only, no path or trailing slash)');

const cidr = z
  .string()
  .regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'must be an IP address or a CIDR range like 10.0.0.0/8');

const appSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be lower-case letters, digits, - or _ (at most 64)'),
    bot_id: z.string().regex(/^\d{1,32}$/, "must be the bot's numeric id"),
    secrets: z.array(z.string().min(16, 'must be at least 16 characters')).max(2).default([]),
    allowed_origins: z.array(origin).default([]),
    visitors: z.boolean().default(true),
    session_ttl: z
      .number()
      .int()
      .min(1)
      .max(30 * 86400)
      .default(APP_DEFAULTS.sessionTtlSeconds),
    max_message_chars: z.number().int().min(1).max(100_000).default(APP_DEFAULTS.maxMessageChars),
    max_conversations_per_user: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(APP_DEFAULTS.maxConversationsPerUser),
    ip_allowlist: z.array(cidr).default([]),
    rate_limits: z
      .object({ user: rule, ip: rule, app: rule, sessions_per_ip: rule })
      .partial()
      .strict()
      .default({}),
  })
  .strict();

const fileSchema = z.object({ apps: z.array(appSchema).min(1, 'must declare at least one app') }).strict();

const fromRule = (r: z.infer<typeof rule> | undefined, fallback: RateRule): RateRule =>
  r ? { perMinute: r.per_minute, burst: r.burst } : fallback;

/** Reads GATEWAY_CONFIG. Errors are one line: `GATEWAY_CONFIG <path>: apps[1].bot_id: …`. */
export function loadAppsFile(path: string): AppConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(
      `GATEWAY_CONFIG ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  let raw: unknown;
  try {
    raw = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new Error(
      `GATEWAY_CONFIG ${path} is not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'}: ${firstLine(e)}`,
    );
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    throw new Error(`GATEWAY_CONFIG ${path}: ${where.replace(/^\./, '') || 'file'}: ${issue.message}`);
  }
  const ids = new Set<string>();
  return parsed.data.apps.map((a) => {
    if (ids.has(a.id)) throw new Error(`GATEWAY_CONFIG ${path}: app id "${a.id}" is declared twice`);
    ids.add(a.id);
    return {
      id: a.id,
      botId: a.bot_id,
      secrets: a.secrets,
      allowedOrigins: a.allowed_origins,
      visitors: a.visitors,
      sessionTtlSeconds: a.session_ttl,
      maxMessageChars: a.max_message_chars,
      maxConversationsPerUser: a.max_conversations_per_user,
      ipAllowlist: a.ip_allowlist,
      rateLimits: {
        user: fromRule(a.rate_limits.user, DEFAULT_RATE_LIMITS.user),
        ip: fromRule(a.rate_limits.ip, DEFAULT_RATE_LIMITS.ip),
        app: fromRule(a.rate_limits.app, DEFAULT_RATE_LIMITS.app),
        sessionsPerIp: fromRule(a.rate_limits.sessions_per_ip, DEFAULT_RATE_LIMITS.sessionsPerIp),
      },
    };
  });
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0];
}
