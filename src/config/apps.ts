// Apps (tenants): several sites or bots on one gateway, declared in GATEWAY_CONFIG (JSON or YAML).
// Without the file, the environment describes one app, `default`.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { z } from 'zod';

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

const cozeId = (what: string) => z.string().regex(/^\d{1,32}$/, `must be the ${what}'s numeric id`);

const targetSchema = z.discriminatedUnion('type', [
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
]);

const functionName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be the Coze function name');
const toolSchema = z.discriminatedUnion('type', [
  z
    .object({
      name: functionName,
      type: z.literal('http'),
      url: z.string().url(),
      timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
    })
    .strict(),
  z
    .object({
      name: functionName,
      type: z.literal('mcp'),
      server: z.string().min(1),
      tool: z.string().min(1).optional(),
      timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
    })
    .strict(),
]);

const mcpServerSchema = z.union([
  z
    .object({
      command: z.string().min(1),
      args: z.array(z.string()).default([]),
      env: z.record(z.string(), z.string()).default({}),
      cwd: z.string().optional(),
    })
    .strict(),
  z.object({ url: z.string().url() }).strict(),
]);

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
    secrets: z.array(z.string().min(16, 'must be at least 16 characters')).max(2).default([]),
    allowed_origins: z.array(origin).default([]),
    visitors: z.boolean().default(true),
    session_ttl: z
      .number()
      .int()
      .min(1)
      .max(30 * 86400)
      .default(APP_DEFAULTS.sessionTtlSeconds),
    sso: z
      .object({
        max_token_lifetime: z.number().int().min(1).max(86400).default(SSO_DEFAULTS.maxTokenLifetimeSeconds),
        session_ttl: z
          .number()
          .int()
          .min(1)
          .max(30 * 86400)
          .optional(),
        single_use: z.boolean().default(SSO_DEFAULTS.singleUse),
      })
      .strict()
      .optional(),
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
    // yaml is loaded only for a YAML file (it costs about 80 ms at start).
    raw = /\.json$/i.test(path)
      ? JSON.parse(text)
      : (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);
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
  return parsed.data.apps.map((a, index) => {
    if (ids.has(a.id)) throw new Error(`GATEWAY_CONFIG ${path}: app id "${a.id}" is declared twice`);
    ids.add(a.id);
    const at = `GATEWAY_CONFIG ${path}: apps[${index}]`;
    return {
      id: a.id,
      target: targetOf(a, at),
      ...toolsOf(a, at),
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
  });
}

type RawApp = z.infer<typeof appSchema>;

function targetOf(a: RawApp, at: string): Target {
  if (a.bot_id && a.target) throw new Error(`${at}: give bot_id or target, not both`);
  const t = a.target ?? (a.bot_id ? { type: 'bot' as const, bot_id: a.bot_id } : undefined);
  if (!t) throw new Error(`${at}: needs bot_id, or target { type: bot | chatflow | workflow, … }`);
  if (t.type === 'bot') return { type: 'bot', botId: t.bot_id };
  if (t.app_id && t.bot_id)
    throw new Error(`${at}.target: give app_id or bot_id, not both (Coze refuses both)`);
  const common = { workflowId: t.workflow_id, appId: t.app_id, botId: t.bot_id, parameters: t.parameters };
  return t.type === 'chatflow'
    ? { type: 'chatflow', ...common }
    : { type: 'workflow', ...common, inputParameter: t.input_parameter };
}

/**
 * Tools, checked now so that a mistake stops start-up: an HTTP tool may only call a host listed in
 * `tool_hosts`, and an MCP tool must name a declared server.
 */
function toolsOf(a: RawApp, at: string): Pick<AppConfig, 'tools' | 'mcpServers'> {
  const mcpServers: Record<string, McpServerConfig> = {};
  for (const [name, s] of Object.entries(a.mcp_servers)) {
    mcpServers[name] = 'url' in s ? { type: 'http', url: s.url } : { type: 'stdio', ...s };
  }
  const tools = a.tools.map((t, i): ToolConfig => {
    if (t.type === 'http') {
      const host = new URL(t.url).host;
      if (!a.tool_hosts.includes(host)) {
        throw new Error(
          `${at}.tools[${i}].url: host "${host}" is not in tool_hosts; add it there to allow calls to it`,
        );
      }
      return { name: t.name, type: 'http', url: t.url, timeoutMs: t.timeout_ms };
    }
    if (!mcpServers[t.server])
      throw new Error(`${at}.tools[${i}].server: no MCP server "${t.server}" in mcp_servers`);
    return { name: t.name, type: 'mcp', server: t.server, tool: t.tool ?? t.name, timeoutMs: t.timeout_ms };
  });
  return { tools, mcpServers };
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0];
}
