import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BOT_ID } from '../simulator/index.js';
import { ConfigError, loadConfig, SIMULATOR_BOT_ID } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'cg-config-'));
function keyFile(name: string, pem: string): string {
  const p = join(dir, name);
  writeFileSync(p, pem);
  return p;
}
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pkcs8 = keyFile('pkcs8.pem', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
const pkcs1 = keyFile('pkcs1.pem', rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
const ec = keyFile(
  'ec.pem',
  generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString(),
);
const jwtApp = { COZE_CLIENT_ID: '1127900106117', COZE_KEY_ID: 'kid-1', COZE_BOT_ID: '7348293334459312345' };

function failure(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('runs on the simulator, SQLite and port 8080 with nothing set', () => {
    const c = loadConfig({});
    expect(c.coze.mode).toBe('simulator');
    expect(c.server.port).toBe(8080);
    expect(c.coze.baseUrl).toBe('https://api.coze.cn');
    expect(c.database).toMatchObject({ kind: 'sqlite', path: './data/coze-gateway.db' });
    expect(Object.isFrozen(c.coze.timeouts)).toBe(true);
  });

  it('reads PostgreSQL, MySQL and Redis URLs, keeping passwords out of the redacted form', () => {
    const pg = loadConfig({
      DATABASE_URL: 'postgres://gw:s3cret@db.internal:5432/coze',
      REDIS_URL: 'redis://:pw@r:6379/2',
    });
    expect(pg.database).toMatchObject({ kind: 'postgres', poolMax: 10, migrate: true, retentionDays: 0 });
    expect(pg.database.redactedUrl).toBe('postgres://gw:***@db.internal:5432/coze');
    expect(pg.redis?.redactedUrl).toBe('redis://:***@r:6379/2');
    expect(loadConfig({ DATABASE_URL: 'mariadb://root@127.0.0.1/test' }).database.kind).toBe('mysql');
    expect(loadConfig({}).redis).toBeUndefined();
  });

  it('talks to Coze with a PAT and a bot id', () => {
    const c = loadConfig({
      COZE_PAT: 'pat_x',
      COZE_BOT_ID: '7348293334459312345',
      COZE_BASE_URL: 'https://api.coze.com/',
    });
    expect(c.coze).toMatchObject({ mode: 'coze', pat: 'pat_x', baseUrl: 'https://api.coze.com' });
  });

  it('loads an OAuth JWT app from a PKCS#8 key file or inline key with escaped newlines', () => {
    expect(loadConfig({ ...jwtApp, COZE_PRIVATE_KEY_FILE: pkcs8 }).coze.jwt?.clientId).toBe('1127900106117');
    const inline = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().replace(/\n/g, '\\n');
    expect(loadConfig({ ...jwtApp, COZE_PRIVATE_KEY: inline }).coze.jwt?.privateKeyPem).toContain('\n');
  });

  it.each([
    [
      { ...jwtApp, COZE_PRIVATE_KEY_FILE: join(dir, 'missing.pem') },
      /^COZE_PRIVATE_KEY_FILE cannot be read \(ENOENT/,
    ],
    [
      { ...jwtApp, COZE_PRIVATE_KEY_FILE: pkcs1 },
      /^COZE_PRIVATE_KEY_FILE is not a PKCS#8 private key \(this is PKCS#1/,
    ],
    [{ ...jwtApp, COZE_PRIVATE_KEY_FILE: ec }, /^COZE_PRIVATE_KEY_FILE is a ec key, not RSA/],
    [
      { ...jwtApp, COZE_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' },
      /^COZE_PRIVATE_KEY holds a damaged private key/,
    ],
    [{ COZE_CLIENT_ID: '1', COZE_BOT_ID: '1' }, /^COZE_KEY_ID is not set/],
    [{ COZE_BASE_URL: 'ftp://api.coze.cn' }, /^COZE_BASE_URL must start with http:\/\/ or https:\/\//],
    [{ COZE_BASE_URL: 'api.coze.cn' }, /^COZE_BASE_URL is not a URL/],
    [{ COZE_BASE_URL: 'https://api.coze.cn/v3' }, /^COZE_BASE_URL must be just the API origin/],
    [{ COZE_TOKEN_TTL: '86400' }, /^COZE_TOKEN_TTL must be a whole number from 60 to 86399 \(got "86400"\)/],
    [{ COZE_TOKEN_TTL: 'ten' }, /^COZE_TOKEN_TTL must be a whole number/],
    [{ PORT: '70000' }, /^PORT must be a whole number from 0 to 65535/],
    [{ COZE_PAT: 'pat_x' }, /^COZE_BOT_ID is not set/],
    [
      { COZE_PAT: 'pat_x', COZE_BOT_ID: 'my-bot' },
      /^COZE_BOT_ID must be the bot's numeric id, as in its Coze URL \(got "my-bot"\)$/,
    ],
    [
      { GATEWAY_SECRET: 'short' },
      /^GATEWAY_SECRET must be at least 16 characters; .* \(got a value of 5 characters, not shown\)$/,
    ],
    [{ GATEWAY_VISITORS: 'maybe' }, /^GATEWAY_VISITORS must be true or false/],
    [{ DATABASE_URL: 'oracle://x/db' }, /^DATABASE_URL scheme "oracle" is not supported; use postgres:\/\//],
    [{ DATABASE_URL: 'postgres://u@localhost' }, /^DATABASE_URL must name the database/],
    [{ REDIS_URL: 'http://localhost:6379' }, /^REDIS_URL scheme "http" is not supported; use redis:\/\//],
    [{ DATABASE_POOL_MAX: '0' }, /^DATABASE_POOL_MAX must be a whole number from 1/],
    [
      { LOG_LEVEL: 'verbose' },
      /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent \(got "verbose"\)$/,
    ],
  ])('refuses %o', (env, message) => {
    expect(failure(env as Record<string, string>)).toMatch(message);
  });
});

function appsFile(yaml: string): string {
  const p = join(dir, `apps-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(p, yaml);
  return p;
}

describe('the env-only app and the apps file: one schema', () => {
  it('refuses ALLOWED_ORIGINS=ws://a.com as the file refuses it, naming the setting and the value', () => {
    const env = failure({ ALLOWED_ORIGINS: 'https://shop.example.com,ws://a.com' });
    expect(env).toBe(
      'ALLOWED_ORIGINS must be an origin like https://shop.example.com (scheme, host and port only, no path or trailing slash) (got "ws://a.com")',
    );
    const file = appsFile('apps:\n  - id: shop\n    bot_id: "1"\n    allowed_origins: ["ws://a.com"]\n');
    expect(failure({ GATEWAY_CONFIG: file })).toBe(
      `GATEWAY_CONFIG ${file}: apps[0].allowed_origins[0] must be an origin like https://shop.example.com (scheme, host and port only, no path or trailing slash) (got "ws://a.com")`,
    );
  });

  it('checks Coze ids one way: the same words from the environment and from the file', () => {
    const env = failure({ COZE_PAT: 'pat_x', COZE_CHATFLOW_ID: 'flow-1' });
    const file = failure({
      GATEWAY_CONFIG: appsFile('apps:\n  - id: a\n    target: { type: chatflow, workflow_id: flow-1 }\n'),
    });
    expect(env).toBe(
      'COZE_CHATFLOW_ID must be the chatflow\'s numeric id, as in its Coze URL (got "flow-1")',
    );
    expect(file).toMatch(
      /: apps\[0\]\.target\.workflow_id must be the chatflow's numeric id, as in its Coze URL \(got "flow-1"\)$/,
    );
  });

  it("chats with the built-in simulator's own bot when no bot is given", () => {
    expect(SIMULATOR_BOT_ID).toBe(DEFAULT_BOT_ID);
    expect(loadConfig({}).apps[0].target).toEqual({ type: 'bot', botId: DEFAULT_BOT_ID });
  });

  it('gives the env-only app the defaults of an app in the file', () => {
    const fromEnv = loadConfig({}).apps[0];
    const fromFile = loadConfig({
      GATEWAY_CONFIG: appsFile('apps:\n  - id: default\n    bot_id: "7500000000000000001"\n'),
    }).apps[0];
    expect(fromEnv).toEqual(fromFile);
    expect(fromEnv.rateLimits.user).toEqual({ perMinute: 60, burst: 10 });
  });

  it('reads every per-app setting of the environment into the app', () => {
    const app = loadConfig({
      COZE_PAT: 'pat_x',
      COZE_WORKFLOW_ID: '7348293334459399999',
      COZE_APP_ID: '7348293334459300000',
      GATEWAY_SECRET: 'a'.repeat(16),
      GATEWAY_SECRET_PREVIOUS: 'b'.repeat(16),
      ALLOWED_ORIGINS: 'https://a.example, https://b.example:8443',
      GATEWAY_VISITORS: 'off',
      SESSION_TTL: '60',
      MAX_MESSAGE_CHARS: '10',
      MAX_CONVERSATIONS_PER_USER: '3',
      RATE_LIMIT_USER: '1/2',
      RATE_LIMIT_IP: '3/4',
      RATE_LIMIT_APP: '5/6',
      RATE_LIMIT_SESSIONS_PER_IP: '7/8',
    }).apps[0];
    expect(app).toMatchObject({
      id: 'default',
      target: {
        type: 'workflow',
        workflowId: '7348293334459399999',
        appId: '7348293334459300000',
        inputParameter: 'USER_INPUT',
      },
      secrets: ['a'.repeat(16), 'b'.repeat(16)],
      allowedOrigins: ['https://a.example', 'https://b.example:8443'],
      visitors: false,
      sessionTtlSeconds: 60,
      maxMessageChars: 10,
      maxConversationsPerUser: 3,
      rateLimits: {
        user: { perMinute: 1, burst: 2 },
        ip: { perMinute: 3, burst: 4 },
        app: { perMinute: 5, burst: 6 },
        sessionsPerIp: { perMinute: 7, burst: 8 },
      },
    });
  });

  it.each([
    // Accepted from the environment before, refused from the file: now refused from both.
    [
      { RATE_LIMIT_USER: '9999999/10' },
      /^RATE_LIMIT_USER must be a whole number from 1 to 1000000 \(got "9999999\/10"\)$/,
    ],
    [{ RATE_LIMIT_IP: 'lots' }, /^RATE_LIMIT_IP must be <per minute>\/<burst>, e.g. 60\/10 \(got "lots"\)$/],
    [{ SESSION_TTL: 'a day' }, /^SESSION_TTL must be a whole number from 1 to 2592000 \(got "a day"\)$/],
    [{ GATEWAY_VISITORS: 'maybe' }, /^GATEWAY_VISITORS must be true or false \(got "maybe"\)$/],
    // Silently chosen between before.
    [
      { COZE_PAT: 'pat_x', COZE_CHATFLOW_ID: '1', COZE_WORKFLOW_ID: '2' },
      /^COZE_CHATFLOW_ID and COZE_WORKFLOW_ID are both set: keep one/,
    ],
    [
      { COZE_PAT: 'pat_x', COZE_CHATFLOW_ID: '1', COZE_APP_ID: '2', COZE_BOT_ID: '3' },
      /^COZE_APP_ID and COZE_BOT_ID are both set: .*keep one/,
    ],
    [
      { COZE_PAT: 'pat_x', COZE_BOT_ID: '1', COZE_APP_ID: '2' },
      /^COZE_APP_ID is set \(got "2"\) without COZE_CHATFLOW_ID or COZE_WORKFLOW_ID/,
    ],
    // Silently ignored before (the simulator answered).
    [
      { COZE_BOT_ID: '7348293334459312345' },
      /^COZE_BOT_ID is set \(got "7348293334459312345"\) but no Coze credential is: set COZE_PAT, or COZE_CLIENT_ID, COZE_KEY_ID and COZE_PRIVATE_KEY_FILE/,
    ],
    [{ COZE_WORKFLOW_ID: '1' }, /^COZE_WORKFLOW_ID is set \(got "1"\) but no Coze credential is/],
    // The value a URL setting got, without its password.
    [
      { DATABASE_URL: 'postgres://gw:s3cret@db.internal:5432' },
      /^DATABASE_URL must name the database, e\.g\. .* \(got "postgres:\/\/gw:\*\*\*@db\.internal:5432"\)$/,
    ],
    [
      { DATABASE_URL: './data/x.db' },
      /^DATABASE_URL is not a URL; use one of postgres:\/\/, .*, or sqlite:<path> \(e\.g\. sqlite:\.\/data\/coze-gateway\.db\) \(got "\.\/data\/x\.db"\)$/,
    ],
    [
      { DATABASE_URL: 'sqlite:/no/such/dir/x.db' },
      /^DATABASE_URL names a SQLite file in a folder that does not exist \(got "sqlite:\/no\/such\/dir\/x\.db"\); create \/no\/such\/dir first/,
    ],
    [
      { REDIS_URL: 'http://:pw@localhost:6379' },
      /^REDIS_URL scheme "http" is not supported; .*\(got "http:\/\/:\*\*\*@localhost:6379"\)$/,
    ],
  ])('refuses %o, naming the setting, the value and what to do', (env, message) => {
    expect(failure(env as Record<string, string>)).toMatch(message);
  });

  it.each([
    [
      'apps:\n  - id: a\n    bot_id: "1"\n    session_ttl: 0\n',
      /apps\[0\]\.session_ttl must be a whole number from 1 to 2592000 \(got 0\)$/,
    ],
    ['apps:\n  - id: a\n    bot: "1"\n', /apps\[0\] has an unknown key "bot"; check the spelling/],
    [
      'apps:\n  - id: a\n    bot_id: "1"\n    secrets: ["tiny-secret"]\n',
      /apps\[0\]\.secrets\[0\] must be at least 16 characters; .* \(got a value of 11 characters, not shown\)$/,
    ],
    ['apps:\n  - id: a\n', /apps\[0\]\.bot_id is missing: give bot_id, or target/],
    [
      'apps:\n  - id: a\n    target: { type: robot, bot_id: "1" }\n',
      /apps\[0\]\.target\.type must have type bot, chatflow or workflow|apps\[0\]\.target must have type bot, chatflow or workflow/,
    ],
    ['apps: []\n', /: apps must declare at least one app/],
  ])('the apps file: %j', (yaml, message) => {
    const msg = failure({ GATEWAY_CONFIG: appsFile(yaml) });
    expect(msg).toMatch(message);
    expect(msg).not.toContain('tiny-secret');
  });
});
