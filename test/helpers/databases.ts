import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';

export type DatabaseKind = 'sqlite' | 'postgres' | 'mysql';

export interface TestDatabase {
  /** A DATABASE_URL for the new, empty database. */
  url: string;
  /** Drops the database (close every connection to it first). */
  drop(): Promise<void>;
}

/** The servers to make databases on; override with TEST_POSTGRES_URL / TEST_MYSQL_URL. */
const POSTGRES_URLS = process.env.TEST_POSTGRES_URL
  ? [process.env.TEST_POSTGRES_URL]
  : ['postgres://postgres@127.0.0.1:5432/test', 'postgres://root@127.0.0.1:5432/test'];
const MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** A throwaway database for one test run: a temp SQLite file, or `cg_<random>` on the server. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') return sqliteDatabase();
  const name = `cg_${randomBytes(6).toString('hex')}`;
  return kind === 'postgres' ? postgresDatabase(name) : mysqlDatabase(name);
}

function sqliteDatabase(): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'cg-ledger-'));
  return {
    url: `sqlite:${join(dir, 'ledger.db')}`,
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

function withDatabase(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.href;
}

async function postgresAdmin(): Promise<{ base: string; client: pg.Client }> {
  let last: unknown;
  for (const base of POSTGRES_URLS) {
    const client = new pg.Client({ connectionString: base, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      return { base, client };
    } catch (err) {
      last = err;
      await client.end().catch(() => {});
    }
  }
  throw new Error(`no PostgreSQL for tests at ${POSTGRES_URLS.join(' or ')}: ${String(last)}`);
}

async function postgresDatabase(name: string): Promise<TestDatabase> {
  const { base, client } = await postgresAdmin();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  return {
    url: withDatabase(base, name),
    async drop() {
      const admin = new pg.Client({ connectionString: base, connectionTimeoutMillis: 5000 });
      await admin.connect();
      try {
        await admin.query(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.end();
      }
    },
  };
}

async function mysqlAdmin(): Promise<mysql.Connection> {
  try {
    return await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: 5000 });
  } catch (err) {
    throw new Error(`no MySQL/MariaDB for tests at ${MYSQL_URL}: ${String(err)}`);
  }
}

async function mysqlDatabase(name: string): Promise<TestDatabase> {
  const admin = await mysqlAdmin();
  try {
    await admin.query(`create database ${name} character set utf8mb4`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(MYSQL_URL, name),
    async drop() {
      const conn = await mysqlAdmin();
      try {
        await conn.query(`drop database if exists ${name}`);
      } finally {
        await conn.end();
      }
    },
  };
}
