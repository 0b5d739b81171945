import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';

// Migrations live in code (not files read at run time) so that the bundled build carries them.
// Column types are chosen to mean the same on SQLite, PostgreSQL and MySQL: ids are varchar(64)
// (MySQL cannot index TEXT), texts are text, times are bigint epoch milliseconds.
const migrations: Record<string, Migration> = {
  '0001_conversations_and_turns': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('conversations')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('app_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('user_id', 'varchar(191)', (c) => c.notNull())
        .addColumn('coze_conversation_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('title', 'varchar(255)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
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
        .addColumn('question', 'text', (c) => c.notNull())
        .addColumn('answer', 'text')
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
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Brings the schema up to date. Returns the names of the migrations applied now. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
