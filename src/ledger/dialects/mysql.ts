import {
  CompiledQuery,
  type Dialect,
  MysqlDialect,
  type MysqlPool,
  type MysqlPoolConnection,
  type MysqlQueryResult,
} from 'kysely';
import type { Pool, PoolConnection, PoolOptions } from 'mysql2';
import type { DatabaseConfig } from '../../config/index.js';
import { IDLE_TIMEOUT_MS, STATEMENT_TIMEOUT_MS } from './limits.js';

/**
 * MySQL and MariaDB through mysql2 (`mysql://` and `mariadb://` alike). Every connection speaks
 * utf8mb4 (4-byte UTF-8: emoji), works in UTC and in strict mode (too long a value is an error,
 * never silently cut). The driver is loaded on first use.
 */
export function mysqlDialect(config: DatabaseConfig): Dialect {
  return new MysqlDialect({
    pool: async () => {
      const { default: mysql } = await import('mysql2');
      const pool = mysql.createPool(mysqlPoolOptions(config));
      // A connection whose server goes away between commands emits 'error': without a listener
      // that would end the process. Its next query fails (GW_LEDGER_UNAVAILABLE) and it is dropped.
      pool.on('connection', (connection) => connection.on('error', () => {}));
      return new DiscardingPool(pool);
    },
    onCreateConnection: async (connection) => {
      await connection.executeQuery(CompiledQuery.raw("set time_zone = '+00:00'"));
      await connection.executeQuery(
        CompiledQuery.raw("set session sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'"),
      );
    },
  });
}

export function mysqlPoolOptions(config: DatabaseConfig): PoolOptions {
  return {
    // mysql2 reads host, port, user, password, database and extra ?options from the URL; the
    // settings below win over the URL's.
    uri: config.url,
    connectionLimit: config.poolMax,
    maxIdle: config.poolMax,
    idleTimeout: IDLE_TIMEOUT_MS,
    connectTimeout: config.connectTimeoutMs,
    waitForConnections: true,
    queueLimit: 0,
    enableKeepAlive: true,
    keepAliveInitialDelay: 10_000,
    charset: 'utf8mb4',
    timezone: 'Z',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
  };
}

/**
 * Hands kysely mysql2's connections with a client-side timeout on every query, and destroys a
 * connection on release when a query failed for a reason other than an error reported by the
 * server (a timeout, a lost socket): it may still have a command in flight.
 */
class DiscardingPool implements MysqlPool {
  readonly #connections = new WeakMap<PoolConnection, DiscardingConnection>();

  constructor(readonly pool: Pool) {}

  getConnection(callback: (error: unknown, connection: MysqlPoolConnection) => void): void {
    this.pool.getConnection((err, raw) => {
      if (err) return callback(err, undefined as unknown as MysqlPoolConnection);
      let wrapped = this.#connections.get(raw);
      if (!wrapped) {
        wrapped = new DiscardingConnection(raw);
        this.#connections.set(raw, wrapped);
      }
      callback(null, wrapped as unknown as MysqlPoolConnection);
    });
  }

  end(callback: (error: unknown) => void): void {
    this.pool.end(callback);
  }
}

class DiscardingConnection {
  #broken = false;

  constructor(readonly raw: PoolConnection) {}

  query(sql: string, values: unknown[], callback?: (error: unknown, result?: MysqlQueryResult) => void) {
    if (!callback) throw new Error('the ledger does not stream');
    this.raw.query({ sql, values, timeout: STATEMENT_TIMEOUT_MS }, (err, result) => {
      if (err && (err.fatal || !('sqlState' in err) || !err.sqlState)) this.#broken = true;
      callback(err, result as MysqlQueryResult);
    });
  }

  release(): void {
    if (this.#broken) this.raw.destroy();
    else this.raw.release();
  }
}
