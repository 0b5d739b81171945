import {
  type ColumnDataType,
  type Expression,
  type Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  MysqlAdapter,
  PostgresAdapter,
  sql,
} from 'kysely';

// Migrations live in code (not files read at run time) so that the bundled build carries them.
// One set for every database. Column types mean the same on SQLite, PostgreSQL and MySQL: ids are
// varchar(64) (MySQL cannot index TEXT), times are bigint epoch milliseconds, and the long texts
// (question, answer) are `text`, except on MySQL where TEXT holds only 64 KB: there `mediumtext`
// (16 MB). MySQL tables are utf8mb4 (emoji) with a binary, no-pad collation, so that ids and user
// ids compare exactly, as they do elsewhere: "Bob" is not "bob", and "bob " is not "bob".

type Flavor = 'sqlite' | 'postgres' | 'mysql';

function flavorOf(db: Kysely<unknown>): Flavor {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof MysqlAdapter) return 'mysql';
  if (adapter instanceof PostgresAdapter) return 'postgres';
  return 'sqlite';
}

const longText = (f: Flavor): ColumnDataType | Expression<unknown> =>
  f === 'mysql' ? sql`mediumtext` : 'text';

/** Table options: on MySQL the engine, the character set and an exact collation; nothing elsewhere. */
async function tableOptions(db: Kysely<unknown>, f: Flavor) {
  if (f !== 'mysql') return sql``;
  const { rows } = await sql<{ v: string }>`select version() as v`.execute(db);
  const version = rows[0]?.v ?? '';
  // MariaDB: utf8mb4_nopad_bin; MySQL 8: utf8mb4_0900_bin (no pad); older MySQL: utf8mb4_bin.
  const collation = /mariadb/i.test(version)
    ? 'utf8mb4_nopad_bin'
    : Number.parseInt(version, 10) >= 8
      ? 'utf8mb4_0900_bin'
      : 'utf8mb4_bin';
  return sql.raw(`engine = InnoDB default character set = utf8mb4 collate = ${collation}`);
}

const migrations: Record<string, Migration> = {
  '0001_conversations_and_turns': {
    async up(db: Kysely<unknown>) {
      const f = flavorOf(db);
      const options = await tableOptions(db, f);
      await db.schema
        .createTable('conversations')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('app_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('user_id', 'varchar(191)', (c) => c.notNull())
        .addColumn('coze_conversation_id', 'varchar(64)', (c) => c.notNull())
        // The Coze identity (session_name = user_id) the conversation was made under: it stays
        // when the conversation moves to another user (a visitor who logged in).
        .addColumn('coze_user', 'varchar(255)', (c) => c.notNull())
        .addColumn('title', 'varchar(255)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .modifyEnd(options)
        .execute();
      await db.schema
        .createIndex('conversations_by_user')
        .on('conversations')
        .columns(['app_id', 'user_id', 'updated_at'])
        .execute();
      await db.schema
        .createTable('turns')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('app_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('conversation_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('user_id', 'varchar(191)', (c) => c.notNull())
        .addColumn('question', longText(f), (c) => c.notNull())
        .addColumn('answer', longText(f))
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('error_code', 'varchar(64)')
        .addColumn('input_tokens', 'integer')
        .addColumn('output_tokens', 'integer')
        .addColumn('total_tokens', 'integer')
        .addColumn('coze_chat_id', 'varchar(64)')
        .addColumn('coze_log_id', 'varchar(128)')
        .addColumn('latency_ms', 'integer')
        .addColumn('first_token_ms', 'integer')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        // How often recovery has read Coze for this turn (it gives up after a few tries).
        .addColumn('recovery_attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .modifyEnd(options)
        .execute();
      await db.schema
        .createIndex('turns_by_conversation')
        .on('turns')
        .columns(['conversation_id', 'id'])
        .execute();
      await db.schema.createIndex('turns_by_status').on('turns').columns(['status', 'created_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table turns`.execute(db);
      await sql`drop table conversations`.execute(db);
    },
  },
  // Retention (Ledger.deleteOlderThan) finds old turns by age alone.
  '0002_turns_by_age': {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('turns_by_age').on('turns').column('created_at').execute();
    },
    async down(db: Kysely<unknown>) {
      const drop = db.schema.dropIndex('turns_by_age');
      await (flavorOf(db) === 'mysql' ? drop.on('turns') : drop).execute();
    },
  },
};

migrations['0003_tool_calls'] = {
  async up(db: Kysely<unknown>) {
    const f = flavorOf(db);
    await db.schema
      .createTable('tool_calls')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('turn_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('app_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('name', 'varchar(128)', (c) => c.notNull())
      .addColumn('arguments', longText(f), (c) => c.notNull())
      .addColumn('output', longText(f), (c) => c.notNull())
      .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
      .addColumn('duration_ms', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .modifyEnd(await tableOptions(db, f))
      .execute();
    await db.schema.createIndex('tool_calls_by_turn').on('tool_calls').columns(['turn_id', 'id']).execute();
  },
  async down(db: Kysely<unknown>) {
    await sql`drop table tool_calls`.execute(db);
  },
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Brings the schema up to date. Returns the names of the migrations applied now. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
