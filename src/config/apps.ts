// Apps (tenants): several sites or bots on one gateway, declared in GATEWAY_CONFIG (JSON or YAML).
// Without the file, the environment describes one app, `default`.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { ConfigError, got, predicate } from './config-error.js';

export interface RateRule {
  /** Sustained rate. */
  perMinute: number;
  /** How many may come at once (the bucket's size). */
  burst: number;
}

/** What an app talks to at Coze. */
export type Target =
  | { type: 'bot'; botId: string }
  | {
      type: 'chatflow';
      workflowId: string;
      /** The app or bot the chatflow runs in (never both). */
      appId?: string;
      botId?: string;
      parameters: Record<string, unknown>;
    }
  | {
      type: 'workflow';
      workflowId: string;
      appId?: string;
      botId?: string;
      parameters: Record<string, unknown>;
      /** The start-node parameter that receives the user's message. */
      inputParameter: string;
    };

/** A Coze function (local plugin) the gateway runs when a bot asks for it. */
export type ToolConfig =
  | { name: string; type: 'http'; url: string; timeoutMs: number }
  | { name: string; type: 'mcp'; server: string; tool: string; timeoutMs: number };

export type McpServerConfig =
  | { type: 'stdio'; command: string; args: string[]; env: Record<string, string>; cwd?: string }
  | { type: 'http'; url: string };

/** How an app takes SSO JWTs (the `sso` block of an app in the apps file). */
export interface SsoSettings {
  /** The longest lifetime (`exp - iat`) an accepted SSO token may have, in seconds. */
  maxTokenLifetimeSeconds: number;
  /** How long a session made from an SSO token lasts, from the exchange (at most `sessionTtlSeconds`). */
  sessionTtlSeconds?: number;
  /** Each token may be exchanged once: `jti` is required and remembered until the token expires. */
  singleUse: boolean;
}

export const SSO_DEFAULTS: SsoSettings = { maxTokenLifetimeSeconds: 600, singleUse: false };

export interface AppConfig {
  id: string;
  target: Target;
  tools: readonly ToolConfig[];
  mcpServers: Readonly<Record<string, McpServerConfig>>;
  /** Shared secrets of the host site: signed session requests and SSO JWTs. Two during rotation. */
  secrets: readonly string[];
  /** Page origins allowed to use the app from a browser (CORS, the widget). */
  allowedOrigins: readonly string[];
  visitors: boolean;
  sessionTtlSeconds: number;
  /** SSO token rules; SSO_DEFAULTS when absent. */
  sso?: SsoSettings;
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

/** The one place of the per-app defaults, for the apps file and the env-only app alike. */
const DEFAULT_RATE_LIMITS: AppConfig['rateLimits'] = {
  user: { perMinute: 60, burst: 10 },
  ip: { perMinute: 120, burst: 30 },
  app: { perMinute: 6000, burst: 600 },
  sessionsPerIp: { perMinute: 20, burst: 10 },
};

const APP_DEFAULTS = {
  sessionTtlSeconds: 86400,
  maxMessageChars: 4000,
  maxConversationsPerUser: 100,
} as const;

/** A whole number in a range, with one message for every way of missing it. */
const whole = (min: number, max: number) => {
  const error = `must be a whole number from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};

const rule = z.object({ per_minute: whole(1, 1_000_000), burst: whole(1, 1_000_000) }).strict();

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

const cozeId = (what: string) =>
  z
    .string({ error: `must be the ${what}'s numeric id, as in its Coze URL (quote it in YAML)` })
    .regex(/^\d{1,32}$/, `must be the ${what}'s numeric id, as in its Coze URL`);

const targetSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('bot'), bot_id: cozeId('bot') }).strict(),
    z
      .object({
        type: z.literal('chatflow'),
        workflow_id: cozeId('chatflow'),
        app_id: cozeId('app').optional(),
        bot_id: cozeId('bot').optional(),
        parameters: z.record(z.string(), z.unknown()).default({}),
      })
      .strict(),
    z
      .object({
        type: z.literal('workflow'),
        workflow_id: cozeId('workflow'),
        app_id: cozeId('app').optional(),
        bot_id: cozeId('bot').optional(),
        parameters: z.record(z.string(), z.unknown()).default({}),
        input_parameter: z.string().min(1).max(64).default('USER_INPUT'),
      })
      .strict(),
  ],
  { error: 'must have type bot, chatflow or workflow' },
);

const functionName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be the Coze function name');
const toolSchema = z.discriminatedUnion(
  'type',
  [
    z
      .object({
        name: functionName,
        type: z.literal('http'),
        url: z.url({ error: 'must be a URL' }),
        timeout_ms: whole(100, 120_000).default(10_000),
      })
      .strict(),
    z
      .object({
        name: functionName,
        type: z.literal('mcp'),
        server: z.string().min(1),
        tool: z.string().min(1).optional(),
        timeout_ms: whole(100, 120_000).default(10_000),
      })
      .strict(),
  ],
  { error: 'must have type http or mcp' },
);

const mcpServerSchema = z.union(
  [
    z
      .object({
        command: z.string().min(1),
        args: z.array(z.string()).default([]),
        env: z.record(z.string(), z.string()).default({}),
        cwd: z.string().optional(),
      })
      .strict(),
    z.object({ url: z.url({ error: 'must be a URL' }) }).strict(),
  ],
  { error: 'must be { command, args?, env?, cwd? } or { url }' },
);

const appSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be lower-case letters, digits, - or _ (at most 64)'),
    bot_id: cozeId('bot').optional(),
    target: targetSchema.optional(),
    tools: z.array(toolSchema).default([]),
    mcp_servers: z.record(z.string(), mcpServerSchema).default({}),
    tool_hosts: z.array(z.string().min(1)).default([]),
    secrets: z
      .array(z.string().min(16, 'must be at least 16 characters; generate one with `openssl rand -hex 32`'))
      .max(2, 'must list at most 2 (the current one and, during a rotation, the previous one)')
      .default([]),
    allowed_origins: z.array(origin).default([]),
    visitors: z.boolean({ error: 'must be true or false' }).default(true),
    session_ttl: whole(1, 30 * 86400).default(APP_DEFAULTS.sessionTtlSeconds),
    max_message_chars: whole(1, 100_000).default(APP_DEFAULTS.maxMessageChars),
    max_conversations_per_user: whole(1, 100_000).default(APP_DEFAULTS.maxConversationsPerUser),
    sso: z
      .object({
        max_token_lifetime: whole(1, 86400).default(SSO_DEFAULTS.maxTokenLifetimeSeconds),
        session_ttl: whole(1, 30 * 86400).optional(),
        single_use: z.boolean({ error: 'must be true or false' }).default(SSO_DEFAULTS.singleUse),
      })
      .strict()
      .optional(),
    ip_allowlist: z.array(cidr).default([]),
    rate_limits: z
      .object({ user: rule, ip: rule, app: rule, sessions_per_ip: rule })
      .partial()
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((a, ctx) => {
    // Rules across fields, each issue at the field to change.
    if (a.bot_id && a.target)
      ctx.addIssue({ code: 'custom', path: ['bot_id'], message: 'and target are both given: keep one' });
    if (!a.bot_id && !a.target) {
      ctx.addIssue({
        code: 'custom',
        path: ['bot_id'],
        message: 'is missing: give bot_id, or target { type: bot | chatflow | workflow, … }',
      });
    }
    if (a.target && a.target.type !== 'bot' && a.target.app_id && a.target.bot_id) {
      ctx.addIssue({
        code: 'custom',
        path: ['target', 'app_id'],
        message: 'and target.bot_id are both given: keep one (Coze refuses both)',
      });
    }
    a.tools.forEach((t, i) => {
      if (t.type === 'http') {
        const host = new URL(t.url).host;
        if (!a.tool_hosts.includes(host)) {
          ctx.addIssue({
            code: 'custom',
            path: ['tools', i, 'url'],
            input: t.url,
            message: `has host "${host}", which is not in tool_hosts; add it there to allow calls to it`,
          });
        }
      } else if (!a.mcp_servers[t.server]) {
        ctx.addIssue({
          code: 'custom',
          path: ['tools', i, 'server'],
          input: t.server,
          message: 'names no server of mcp_servers; declare it there',
        });
      }
    });
  });

/** An app as written in the apps file (snake_case); the env-only app is built in this shape too. */
export type AppInput = z.input<typeof appSchema>;

const fileSchema = z.object({ apps: z.array(z.unknown()).min(1, 'must declare at least one app') }).strict();

/** Where a setting came from, for an error message: its name, and whether its value is secret. */
export interface Setting {
  name: string;
  /** The value as the user wrote it (default: the value the schema saw). */
  value?: unknown;
  secret?: boolean;
}

/**
 * Validates one app (apps file or environment, one schema) and maps it to AppConfig. `settingOf`
 * names the setting at a path inside the app; the first problem throws ConfigError.
 */
export function parseApp(input: unknown, settingOf: (path: readonly PropertyKey[]) => Setting): AppConfig {
  const parsed = appSchema.safeParse(input, { reportInput: true, error: (iss) => predicate(iss) });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const s = settingOf(issue.path);
    const value = 'value' in s ? s.value : issue.code === 'unrecognized_keys' ? undefined : issue.input;
    throw new ConfigError(`${s.name} ${issue.message}${got(value, s.secret)}`);
  }
  return toAppConfig(parsed.data);
}

/** `tools[1].url` */
function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
}

/** Reads GATEWAY_CONFIG. Errors are one line: `GATEWAY_CONFIG <path>: apps[1].bot_id must … (got …)`. */
export function loadAppsFile(path: string): AppConfig[] {
  const file = `GATEWAY_CONFIG ${path}`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(
      `${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}); give the path of your apps file (JSON or YAML)`,
    );
  }
  let raw: unknown;
  try {
    // yaml is loaded only for a YAML file (it costs about 80 ms at start).
    raw = /\.json$/i.test(path)
      ? JSON.parse(text)
      : (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);
  } catch (e) {
    throw new ConfigError(`${file} is not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'}: ${firstLine(e)}`);
  }
  const parsed = fileSchema.safeParse(raw, { reportInput: true, error: (iss) => predicate(iss) });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = pathText(issue.path) || 'the file';
    throw new ConfigError(
      `${file}: ${where} ${issue.message}${issue.code === 'unrecognized_keys' || where === 'the file' ? '' : got(issue.input)}`,
    );
  }
  const ids = new Set<string>();
  return parsed.data.apps.map((input, index) => {
    const app = parseApp(input, (p) => ({
      name: `${file}: ${pathText(['apps', index, ...p])}`,
      secret: p[0] === 'secrets' || (p[0] === 'mcp_servers' && p[2] === 'env'),
    }));
    if (ids.has(app.id))
      throw new ConfigError(`${file}: app id "${app.id}" is declared twice; give each app its own id`);
    ids.add(app.id);
    return app;
  });
}

type ParsedApp = z.output<typeof appSchema>;

const fromRule = (r: z.infer<typeof rule> | undefined, fallback: RateRule): RateRule =>
  r ? { perMinute: r.per_minute, burst: r.burst } : fallback;

function toAppConfig(a: ParsedApp): AppConfig {
  const mcpServers: Record<string, McpServerConfig> = {};
  for (const [name, s] of Object.entries(a.mcp_servers)) {
    mcpServers[name] = 'url' in s ? { type: 'http', url: s.url } : { type: 'stdio', ...s };
  }
  return {
    id: a.id,
    target: targetOf(a),
    tools: a.tools.map(
      (t): ToolConfig =>
        t.type === 'http'
          ? { name: t.name, type: 'http', url: t.url, timeoutMs: t.timeout_ms }
          : { name: t.name, type: 'mcp', server: t.server, tool: t.tool ?? t.name, timeoutMs: t.timeout_ms },
    ),
    mcpServers,
    secrets: a.secrets,
    allowedOrigins: a.allowed_origins,
    visitors: a.visitors,
    sessionTtlSeconds: a.session_ttl,
    sso: a.sso && {
      maxTokenLifetimeSeconds: a.sso.max_token_lifetime,
      sessionTtlSeconds: a.sso.session_ttl,
      singleUse: a.sso.single_use,
    },
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
}

/** The app's target (the schema has made sure there is exactly one). */
function targetOf(a: ParsedApp): Target {
  const t = a.target ?? { type: 'bot' as const, bot_id: a.bot_id as string };
  if (t.type === 'bot') return { type: 'bot', botId: t.bot_id };
  const common = { workflowId: t.workflow_id, appId: t.app_id, botId: t.bot_id, parameters: t.parameters };
  return t.type === 'chatflow'
    ? { type: 'chatflow', ...common }
    : { type: 'workflow', ...common, inputParameter: t.input_parameter };
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0];
}

/**
 * An app as the apps file writes it (snake_case), for `GET /admin/apps`: secrets and the values of
 * MCP servers' environments are shown as `***`.
 */
export function appAsWritten(a: AppConfig): Record<string, unknown> {
  const t = a.target;
  const target =
    t.type === 'bot'
      ? { type: 'bot', bot_id: t.botId }
      : {
          type: t.type,
          workflow_id: t.workflowId,
          ...(t.appId ? { app_id: t.appId } : {}),
          ...(t.botId ? { bot_id: t.botId } : {}),
          parameters: t.parameters,
          ...(t.type === 'workflow' ? { input_parameter: t.inputParameter } : {}),
        };
  const rule = (r: RateRule) => ({ per_minute: r.perMinute, burst: r.burst });
  return {
    id: a.id,
    target,
    tools: a.tools.map((x) =>
      x.type === 'http'
        ? { name: x.name, type: 'http', url: x.url, timeout_ms: x.timeoutMs }
        : { name: x.name, type: 'mcp', server: x.server, tool: x.tool, timeout_ms: x.timeoutMs },
    ),
    mcp_servers: Object.fromEntries(
      Object.entries(a.mcpServers).map(([name, s]) => [
        name,
        s.type === 'http'
          ? { url: s.url }
          : {
              command: s.command,
              args: s.args,
              env: Object.fromEntries(Object.keys(s.env).map((k) => [k, '***'])),
              ...(s.cwd ? { cwd: s.cwd } : {}),
            },
      ]),
    ),
    secrets: a.secrets.map(() => '***'),
    allowed_origins: a.allowedOrigins,
    visitors: a.visitors,
    session_ttl: a.sessionTtlSeconds,
    max_message_chars: a.maxMessageChars,
    max_conversations_per_user: a.maxConversationsPerUser,
    ip_allowlist: a.ipAllowlist,
    rate_limits: {
      user: rule(a.rateLimits.user),
      ip: rule(a.rateLimits.ip),
      app: rule(a.rateLimits.app),
      sessions_per_ip: rule(a.rateLimits.sessionsPerIp),
    },
  };
}
