import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';

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
    [{ COZE_PAT: 'pat_x', COZE_BOT_ID: 'my-bot' }, /^COZE_BOT_ID must be the bot's numeric id/],
    [{ GATEWAY_SECRET: 'short' }, /^GATEWAY_SECRET must be at least 16 characters/],
    [{ GATEWAY_VISITORS: 'maybe' }, /^GATEWAY_VISITORS must be true or false/],
    [{ DATABASE_URL: 'oracle://x/db' }, /^DATABASE_URL scheme "oracle" is not supported; use postgres:\/\//],
    [{ DATABASE_URL: 'postgres://u@localhost' }, /^DATABASE_URL must name the database/],
    [{ REDIS_URL: 'http://localhost:6379' }, /^REDIS_URL scheme "http" is not supported; use redis:\/\//],
    [{ DATABASE_POOL_MAX: '0' }, /^DATABASE_POOL_MAX must be a whole number from 1/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: /],
  ])('refuses %o', (env, message) => {
    expect(failure(env as Record<string, string>)).toMatch(message);
  });
});
