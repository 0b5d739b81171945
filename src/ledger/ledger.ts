import { type Kysely, sql } from 'kysely';
import { GatewayError, isGatewayError } from '../errors.js';
import { ledgerError } from './failures.js';
import { OwnedConversations } from './owned-cache.js';
import {
  type ConversationRecord,
  outcomeColumns,
  type TurnOutcome,
  type TurnRecord,
  titleOf,
  toConversation,
  toTurn,
} from './records.js';
import { type Deleted, deleteOlderThan } from './retention.js';
import type { Database } from './schema.js';
import { type TurnStatements, turnStatements } from './statements.js';
import { withUserLock } from './user-lock.js';

/** Error codes of turns cut on our side of a chat that Coze may have finished anyway. */
const RECOVERABLE_CODES = ['GW_UPSTREAM_TRUNCATED', 'GW_UPSTREAM_TIMEOUT', 'GW_INTERRUPTED'];

export interface RecoveryCandidate {
  turnId: string;
  conversationId: string;
  status: string;
  answer: string | null;
  cozeChatId: string | null;
  cozeConversationId: string;
  cozeUser: string;
  createdAt: number;
}

export interface ToolCallRecord {
  id: string;
  turnId: string;
  appId: string;
  name: string;
  arguments: string;
  output: string;
  outcome: string;
  durationMs: number;
  createdAt: number;
}

/**
 * The record of conversations and turns. Every read is scoped by app and user where a user asks,
 * so one user can never read another's conversation by guessing its id.
 * Failures are classified (failures.ts): only a database that cannot be used is
 * GW_LEDGER_UNAVAILABLE; values the database refuses are a 400 when they came from a request, a
 * GW_INTERNAL otherwise (cause kept for the log).
 */
export class Ledger {
  private readonly q: TurnStatements;
  private readonly owned = new OwnedConversations();

  constructor(readonly db: Kysely<Database>) {
    this.q = turnStatements(db);
  }

  /**
   * Records a new conversation. With `maxPerUser`, the count of the user's conversations and the
   * insert are one step across every instance (withUserLock): a user at the cap gets
   * GW_TOO_MANY_CONVERSATIONS however many creations race.
   */
  async createConversation(
    c: Omit<ConversationRecord, 'updatedAt' | 'title'> & { maxPerUser?: number },
  ): Promise<ConversationRecord> {
    const row = {
      id: c.id,
      app_id: c.appId,
      user_id: c.userId,
      coze_conversation_id: c.cozeConversationId,
      coze_user: c.cozeUser,
      title: null,
      created_at: c.createdAt,
      updated_at: c.createdAt,
    };
    const insert = (db: Kysely<Database>) => db.insertInto('conversations').values(row).execute();
    const max = c.maxPerUser;
    if (max === undefined) await this.run(() => insert(this.db));
    else {
      await this.run(() =>
        withUserLock(this.db, c.appId, c.userId, async (db) => {
          if ((await countOf(db, c.appId, c.userId)) >= max)
            throw new GatewayError('GW_TOO_MANY_CONVERSATIONS');
          await insert(db);
        }),
      );
    }
    const { maxPerUser: _, ...record } = c;
    return { ...record, title: null, updatedAt: c.createdAt };
  }

  /**
   * The conversation if it belongs to this app and user; undefined otherwise. Found ones are
   * remembered for OWNED_CACHE_MS (every turn asks, see docs/decisions/0017): `title` and
   * `updatedAt` of a remembered one may be that old. Ownership changes only by
   * moveConversations, which revokes the old owner's session (and forgets here at once).
   */
  async findConversation(appId: string, userId: string, id: string): Promise<ConversationRecord | undefined> {
    const hit = this.owned.get(appId, userId, id);
    if (hit) return hit;
    const { rows } = await this.run(() => this.q.findConversation({ id, appId, userId }), { input: true });
    const record = rows[0] && toConversation(rows[0]);
    if (record) this.owned.remember(record);
    else this.owned.forget(appId, userId, id);
    return record;
  }

  /** The user's conversations, most recently active first. */
  async listConversations(appId: string, userId: string, limit: number): Promise<ConversationRecord[]> {
    const rows = await this.run(
      () =>
        this.db
          .selectFrom('conversations')
          .selectAll()
          .where('app_id', '=', appId)
          .where('user_id', '=', userId)
          .orderBy('updated_at', 'desc')
          .orderBy('id', 'desc')
          .limit(limit)
          .execute(),
      { input: true },
    );
    return rows.map(toConversation);
  }

  /** How many conversations the user has in this app (to cap them). */
  async countConversations(appId: string, userId: string): Promise<number> {
    return this.run(() => countOf(this.db, appId, userId), { input: true });
  }

  /**
   * Gives every conversation (and its turns) of one user to another user of the same app, e.g. a
   * visitor who logged in. Returns the number of conversations moved.
   */
  async moveConversations(appId: string, fromUserId: string, toUserId: string): Promise<number> {
    this.owned.forgetOwner(appId, fromUserId);
    return this.run(() =>
      this.db.transaction().execute(async (tx) => {
        await tx
          .updateTable('turns')
          .set({ user_id: toUserId })
          .where('app_id', '=', appId)
          .where('user_id', '=', fromUserId)
          .execute();
        const res = await tx
          .updateTable('conversations')
          .set({ user_id: toUserId })
          .where('app_id', '=', appId)
          .where('user_id', '=', fromUserId)
          .executeTakeFirst();
        return Number(res.numUpdatedRows);
      }),
    );
  }

  /** Writes the question with status `pending`; called before Coze is. Titles a new conversation. */
  async startTurn(t: {
    id: string;
    appId: string;
    conversationId: string;
    userId: string;
    question: string;
  }) {
    const now = Date.now();
    // Two statements at once, no transaction: this is on the way to every answer, and a crash
    // between them leaves at worst a conversation whose "last active" time is a turn behind.
    await this.run(() =>
      Promise.all([
        this.q.insertTurn({ ...t, now }),
        this.q.touchConversation({ id: t.conversationId, now, title: titleOf(t.question) }),
      ]),
    );
  }

  /** Notes Coze's chat id and log id as soon as they are known (recovery reads Coze by them). */
  async noteCozeChat(turnId: string, cozeChatId: string, cozeLogId: string | undefined): Promise<void> {
    await this.run(() => this.q.noteCozeChat({ id: turnId, cozeChatId, cozeLogId: cozeLogId ?? null }));
  }

  /** Gives a pending turn its terminal status. A turn already ended is left as it is. */
  async finishTurn(turnId: string, o: TurnOutcome): Promise<void> {
    const columns = outcomeColumns(o, Date.now()) as Required<ReturnType<typeof outcomeColumns>>;
    await this.run(() => this.q.finishTurn({ id: turnId, ...columns }));
  }

  /** Writes the answer so far of a running turn, so a crash loses at most the text since. */
  async checkpoint(turnId: string, answer: string): Promise<void> {
    await this.run(() => this.q.checkpoint({ id: turnId, answer }));
  }

  /**
   * Turns whose answer may still be had from Coze: pending ones older than `pendingAfterMs` (their
   * process may have died; the caller checks that nobody holds them) and ones interrupted by a
   * broken stream whose Coze chat is known, tried fewer than `maxAttempts` times in the last day.
   */
  async recoveryCandidates(o: {
    pendingAfterMs: number;
    maxAttempts: number;
    limit: number;
  }): Promise<RecoveryCandidate[]> {
    const now = Date.now();
    const rows = await this.run(() =>
      this.db
        .selectFrom('turns')
        .innerJoin('conversations', 'conversations.id', 'turns.conversation_id')
        .select([
          'turns.id as turn_id',
          'turns.conversation_id',
          'turns.status',
          'turns.answer',
          'turns.coze_chat_id',
          'turns.created_at',
          'conversations.coze_conversation_id',
          'conversations.coze_user',
        ])
        .where('turns.recovery_attempts', '<', o.maxAttempts)
        .where((eb) =>
          eb.or([
            eb.and([eb('turns.status', '=', 'pending'), eb('turns.created_at', '<', now - o.pendingAfterMs)]),
            eb.and([
              eb('turns.status', '=', 'interrupted'),
              eb('turns.coze_chat_id', 'is not', null),
              eb('turns.error_code', 'in', RECOVERABLE_CODES),
              eb('turns.created_at', '>', now - 86_400_000),
            ]),
          ]),
        )
        .orderBy('turns.id')
        .limit(o.limit)
        .execute(),
    );
    return rows.map((r) => ({
      turnId: r.turn_id,
      conversationId: r.conversation_id,
      status: r.status,
      answer: r.answer,
      cozeChatId: r.coze_chat_id,
      cozeConversationId: r.coze_conversation_id,
      cozeUser: r.coze_user,
      createdAt: Number(r.created_at),
    }));
  }

  /**
   * Ends a pending or interrupted turn with what recovery found (a turn already completed, failed
   * or canceled is left alone). Counts the attempt either way. True when the row changed.
   */
  async recoverTurn(turnId: string, o: Omit<TurnOutcome, 'latencyMs'> | undefined): Promise<boolean> {
    const res = await this.run(() =>
      this.db
        .updateTable('turns')
        .set(() => ({
          recovery_attempts: sql<number>`recovery_attempts + 1`,
          ...(o && outcomeColumns({ ...o, latencyMs: undefined }, Date.now())),
        }))
        .where('id', '=', turnId)
        .where('status', 'in', ['pending', 'interrupted'])
        .executeTakeFirst(),
    );
    return Number(res.numUpdatedRows) > 0;
  }

  /** Records one tool call of a turn: what was asked, what it answered, how long, how it went. */
  async recordToolCall(c: Omit<ToolCallRecord, 'createdAt'>): Promise<void> {
    await this.run(() =>
      this.db
        .insertInto('tool_calls')
        .values({
          id: c.id,
          turn_id: c.turnId,
          app_id: c.appId,
          name: c.name,
          arguments: c.arguments,
          output: c.output,
          outcome: c.outcome,
          duration_ms: c.durationMs,
          created_at: Date.now(),
        })
        .execute(),
    );
  }

  async listToolCalls(turnId: string): Promise<ToolCallRecord[]> {
    const rows = await this.run(() =>
      this.db.selectFrom('tool_calls').selectAll().where('turn_id', '=', turnId).orderBy('id').execute(),
    );
    return rows.map((r) => ({
      id: r.id,
      turnId: r.turn_id,
      appId: r.app_id,
      name: r.name,
      arguments: r.arguments,
      output: r.output,
      outcome: r.outcome,
      durationMs: Number(r.duration_ms),
      createdAt: Number(r.created_at),
    }));
  }

  async getTurn(turnId: string): Promise<TurnRecord | undefined> {
    const { rows } = await this.run(() => this.q.getTurn({ id: turnId }), { input: true });
    return rows[0] && toTurn(rows[0]);
  }

  /** A conversation's turns, oldest first (the last `limit` of them). */
  async listTurns(conversationId: string, limit: number): Promise<TurnRecord[]> {
    const rows = await this.run(() =>
      this.db
        .selectFrom('turns')
        .selectAll()
        .where('conversation_id', '=', conversationId)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute(),
    );
    return rows.reverse().map(toTurn);
  }

  /**
   * Ends turns that are still pending long after any turn could have run (their process died):
   * they become `interrupted` with GW_INTERRUPTED. Nothing is asked of Coze here: start-up runs this
   * before recovery starts, and recovery takes the younger ones.
   */
  async interruptStaleTurns(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    const res = await this.run(() =>
      this.db
        .updateTable('turns')
        .set({ status: 'interrupted', error_code: 'GW_INTERRUPTED', finished_at: Date.now() })
        .where('status', '=', 'pending')
        .where('created_at', '<', cutoff)
        .executeTakeFirst(),
    );
    return Number(res.numUpdatedRows);
  }

  /**
   * Retention: deletes turns created more than `days` days ago (a pending turn never), then the
   * conversations left without turns that were last active before the same cutoff.
   */
  async deleteOlderThan(days: number): Promise<Deleted> {
    if (!(days > 0)) throw new RangeError(`deleteOlderThan needs a number of days above 0 (got ${days})`);
    return this.run(() => deleteOlderThan(this.db, days));
  }

  async ping(): Promise<void> {
    await this.run(() => sql`select 1`.execute(this.db));
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** Runs a database call; `input`: its values came from a request (see ledgerError). */
  private async run<T>(op: () => Promise<T>, o: { input?: boolean } = {}): Promise<T> {
    try {
      return await op();
    } catch (cause) {
      if (isGatewayError(cause)) throw cause;
      throw ledgerError(cause, o.input ?? false);
    }
  }
}

/** How many conversations the user has in this app. */
async function countOf(db: Kysely<Database>, appId: string, userId: string): Promise<number> {
  const row = await db
    .selectFrom('conversations')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .where('app_id', '=', appId)
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
