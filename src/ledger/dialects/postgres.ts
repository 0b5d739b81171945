import { type Dialect, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import type { DatabaseConfig } from '../../config/index.js';
import { IDLE_TIMEOUT_MS, STATEMENT_TIMEOUT_MS } from './limits.js';

/** PostgreSQL through pg. The driver is loaded on first use, so SQLite users never load it. */
export function postgresDialect(config: DatabaseConfig): Dialect {
  return new PostgresDialect({
    pool: async () => {
      const { default: pg } = await import('pg');
      const pool = new pg.Pool(postgresPoolConfig(config));
      // An idle client whose server went away: the pool has already dropped it, and the next query
      // opens a new connection. Without a listener the 'error' event would end the process.
      pool.on('error', () => {});
      // The same for a client that is checked out when its server goes away (pg only listens on
      // idle ones): its next query fails with GW_LEDGER_UNAVAILABLE and the client is discarded.
      pool.on('connect', (client) => client.on('error', () => {}));
      return new DiscardingPool(pool, (err) => !(err instanceof pg.DatabaseError));
    },
  });
}

export function postgresPoolConfig(config: DatabaseConfig): PoolConfig {
  return {
    connectionString: config.url,
    max: config.poolMax,
    // Also bounds the wait for a free client when all `max` are busy.
    connectionTimeoutMillis: config.connectTimeoutMs,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    idle_in_transaction_session_timeout: STATEMENT_TIMEOUT_MS,
    query_timeout: STATEMENT_TIMEOUT_MS + 5000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: 'coze-gateway',
  };
}

/**
 * Hands kysely pg's clients, but destroys a client on release when one of its queries failed for a
 * reason other than an error reported by the server (a client-side timeout, a broken socket): such
 * a client may still have a query in flight and would stall whoever got it next.
 */
class DiscardingPool implements PostgresPool {
  readonly #clients = new WeakMap<PoolClient, DiscardingClient>();

  constructor(
    readonly pool: Pool,
    readonly breaks: (err: unknown) => boolean,
  ) {}

  async connect(): Promise<PostgresPoolClient> {
    const client = await this.pool.connect();
    let wrapped = this.#clients.get(client);
    if (!wrapped) {
      wrapped = new DiscardingClient(client, this.breaks);
      this.#clients.set(client, wrapped);
    }
    return wrapped as unknown as PostgresPoolClient;
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

class DiscardingClient {
  #broken = false;

  constructor(
    readonly client: PoolClient,
    readonly breaks: (err: unknown) => boolean,
  ) {}

  async query(sql: string, parameters: ReadonlyArray<unknown>) {
    if (typeof sql !== 'string') throw new Error('the ledger does not stream (no cursor)');
    try {
      return await this.client.query(sql, [...parameters]);
    } catch (err) {
      if (this.breaks(err)) this.#broken = true;
      throw err;
    }
  }

  release(): void {
    this.client.release(this.#broken);
  }
}
