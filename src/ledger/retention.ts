import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

const DAY_MS = 86_400_000;
/** Rows are deleted in batches, so that no single statement runs long or locks much. */
const BATCH = 500;

export interface Deleted {
  turns: number;
  conversations: number;
}

/**
 * Deletes turns created before now − days (never a pending one), then conversations that have no
 * turn left and were last active before the same cutoff.
 */
export async function deleteOlderThan(db: Kysely<Database>, days: number): Promise<Deleted> {
  const cutoff = Date.now() - days * DAY_MS;
  let turns = 0;
  for (;;) {
    const ids = await db
      .selectFrom('turns')
      .select('id')
      .where('created_at', '<', cutoff)
      .where('status', '<>', 'pending')
      .limit(BATCH)
      .execute();
    if (ids.length === 0) break;
    await db
      .deleteFrom('tool_calls')
      .where(
        'turn_id',
        'in',
        ids.map((r) => r.id),
      )
      .execute();
    const res = await db
      .deleteFrom('turns')
      .where(
        'id',
        'in',
        ids.map((r) => r.id),
      )
      .where('status', '<>', 'pending')
      .executeTakeFirst();
    const n = Number(res.numDeletedRows);
    turns += n;
    if (ids.length < BATCH || n === 0) break;
  }
  let conversations = 0;
  for (;;) {
    const ids = await emptiedConversations(db, cutoff).select('id').limit(BATCH).execute();
    if (ids.length === 0) break;
    // The same conditions again: a turn may have started in between.
    const res = await db
      .deleteFrom('conversations')
      .where(
        'id',
        'in',
        ids.map((r) => r.id),
      )
      .where('updated_at', '<', cutoff)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('turns').select('turns.id').whereRef('turns.conversation_id', '=', 'conversations.id'),
          ),
        ),
      )
      .executeTakeFirst();
    const n = Number(res.numDeletedRows);
    conversations += n;
    if (ids.length < BATCH || n === 0) break;
  }
  return { turns, conversations };
}

function emptiedConversations(db: Kysely<Database>, cutoff: number) {
  return db
    .selectFrom('conversations')
    .where('updated_at', '<', cutoff)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('turns').select('turns.id').whereRef('turns.conversation_id', '=', 'conversations.id'),
        ),
      ),
    );
}
