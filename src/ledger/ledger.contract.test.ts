// The ledger's contract: every database behind DATABASE_URL passes the same suite (in the manner of
// kysely's test/node/src/test-setup.ts). DIALECTS picks the databases: a comma list of
// sqlite,postgres,mysql (default sqlite). Each gets a throwaway database, dropped afterwards.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../../test/helpers/databases.js';
import { type DatabaseConfig, loadConfig } from '../config/index.js';
import { GatewayError } from '../errors.js';
import { newId } from '../ids.js';
import { type Ledger, migrateToLatest, openLedger, type TurnOutcome } from './index.js';
import { TcpProxy } from './proxy.testing.js';

const KINDS: readonly DatabaseKind[] = ['sqlite', 'postgres', 'mysql'];
const DIALECTS = (process.env.DIALECTS || 'sqlite').split(',').map((d) => {
  const kind = d.trim() as DatabaseKind;
  if (!KINDS.includes(kind))
    throw new Error(`DIALECTS: unknown "${d}"; use a comma list of ${KINDS.join(',')}`);
  return kind;
});

const DAY = 86_400_000;
const configFor = (url: string, env: Record<string, string> = {}): DatabaseConfig =>
  loadConfig({ DATABASE_URL: url, DATABASE_CONNECT_TIMEOUT_MS: '3000', ...env }).database;

/** A fresh app id, so that tests sharing a database never see each other's rows. */
const newApp = () => newId('app');

async function conversation(ledger: Ledger, app: string, user: string, createdAt = Date.now()) {
  return ledger.createConversation({
    id: newId('cv'),
    appId: app,
    userId: user,
    cozeConversationId: newId('cz'),
    cozeUser: 'default:u:someone',
    createdAt,
  });
}

async function turn(ledger: Ledger, c: { id: string; appId: string; userId: string }, question = 'hello?') {
  const id = newId('tn');
  await ledger.startTurn({ id, appId: c.appId, conversationId: c.id, userId: c.userId, question });
  return id;
}

/** Moves a row back in time (tests only: the ledger itself always writes "now"). */
async function backdate(ledger: Ledger, table: 'turns' | 'conversations', id: string, at: number) {
  if (table === 'turns')
    await ledger.db.updateTable('turns').set({ created_at: at }).where('id', '=', id).execute();
  else
    await ledger.db
      .updateTable('conversations')
      .set({ created_at: at, updated_at: at })
      .where('id', '=', id)
      .execute();
}

const outcome: TurnOutcome = {
  status: 'completed',
  answer: 'It is 42.',
  usage: { inputTokens: 12, outputTokens: 34, totalTokens: 46 },
  cozeChatId: '7400000000000000001',
  cozeLogId: '20250101000000ABCDEF',
  latencyMs: 1234.4,
  firstTokenMs: 210.6,
};

for (const kind of DIALECTS) {
  describe(`ledger on ${kind}`, () => {
    let database: TestDatabase;
    let ledger: Ledger;

    beforeAll(async () => {
      database = await createTestDatabase(kind);
      ledger = await openLedger(configFor(database.url));
    });
    afterAll(async () => {
      await ledger?.close();
      await database?.drop();
    });

    /** For tests that count rows across the whole database: a database of their own. */
    async function withOwnLedger(fn: (l: Ledger) => Promise<void>) {
      const own = await createTestDatabase(kind);
      const l = await openLedger(configFor(own.url));
      try {
        await fn(l);
      } finally {
        await l.close();
        await own.drop();
      }
    }

    describe('migrations', () => {
      it('are idempotent: running them again applies nothing and keeps the data', async () => {
        const c = await conversation(ledger, newApp(), 'u:1');
        expect(await migrateToLatest(ledger.db as Kysely<unknown>)).toEqual([]);
        const again = await openLedger(configFor(database.url));
        try {
          expect(await again.findConversation(c.appId, c.userId, c.id)).toEqual(c);
        } finally {
          await again.close();
        }
      });

      it('are skipped with migrate: false', async () => {
        const own = await createTestDatabase(kind);
        const l = await openLedger(configFor(own.url), { migrate: false });
        try {
          await l.ping();
          await expect(l.getTurn('tn_x')).rejects.toMatchObject({ code: 'GW_LEDGER_UNAVAILABLE' });
        } finally {
          await l.close();
          await own.drop();
        }
      });
    });

    describe('conversations', () => {
      it('are found only by their own app and user', async () => {
        const app = newApp();
        const c = await conversation(ledger, app, 'u:alice');
        expect(await ledger.findConversation(app, 'u:alice', c.id)).toEqual(c);
        expect(await ledger.findConversation(app, 'u:bob', c.id)).toBeUndefined();
        expect(await ledger.findConversation(newApp(), 'u:alice', c.id)).toBeUndefined();
        expect(await ledger.findConversation(app, 'u:alice', 'cv_missing')).toBeUndefined();
      });

      it('compare user ids exactly: case and trailing spaces make another user', async () => {
        const app = newApp();
        const c = await conversation(ledger, app, 'u:Alice');
        for (const other of ['u:alice', 'u:ALICE', 'u:Alice ', 'u:Alice\t'])
          expect(await ledger.findConversation(app, other, c.id)).toBeUndefined();
        expect(await ledger.listConversations(app, 'u:alice', 10)).toEqual([]);
        expect(await ledger.listConversations(app, 'u:Alice ', 10)).toEqual([]);
      });

      it('are listed most recently active first, only the user’s own, up to the limit', async () => {
        const app = newApp();
        const t0 = Date.now() - 10_000;
        const a = await conversation(ledger, app, 'u:1', t0);
        const b = await conversation(ledger, app, 'u:1', t0 + 1000);
        const c = await conversation(ledger, app, 'u:1', t0 + 2000);
        await conversation(ledger, app, 'u:2', t0 + 3000);
        expect((await ledger.listConversations(app, 'u:1', 10)).map((x) => x.id)).toEqual([c.id, b.id, a.id]);
        await turn(ledger, a);
        expect((await ledger.listConversations(app, 'u:1', 2)).map((x) => x.id)).toEqual([a.id, c.id]);
      });
      it('are counted per app and user', async () => {
        const app = newApp();
        expect(await ledger.countConversations(app, 'u:1')).toBe(0);
        for (let i = 0; i < 3; i++) await conversation(ledger, app, 'u:1');
        await conversation(ledger, app, 'u:2');
        await conversation(ledger, newApp(), 'u:1');
        expect(await ledger.countConversations(app, 'u:1')).toBe(3);
        expect(await ledger.countConversations(app, 'U:1')).toBe(0);
      });

      it('never hand one user the conversation of a user whose id a separator would join alike', async () => {
        const app = newApp();
        const theirs = await conversation(ledger, app, 'u:vic\nx');
        // Found, so remembered: a key `${app}\n${user}\n${id}` answered `vic` from that memory.
        expect(await ledger.findConversation(app, 'u:vic\nx', theirs.id)).toEqual(theirs);
        expect(await ledger.findConversation(app, 'u:vic', `x\n${theirs.id}`)).toBeUndefined();
        expect(await ledger.findConversation(`${app}\nu:vic`, 'x', theirs.id)).toBeUndefined();
      });

      it('are capped per user atomically: racing creations on two instances never pass the cap', async () => {
        // Two ledgers on one database, as two instances (SQLite: one process, one connection, whose
        // synchronous driver would block on its own second connection; BEGIN IMMEDIATE covers others).
        const second =
          kind === 'sqlite' ? ledger : await openLedger(configFor(database.url), { migrate: false });
        try {
          const app = newApp();
          const attempts = Array.from({ length: 12 }, (_, i) =>
            (i % 2 ? second : ledger).createConversation({
              id: newId('cv'),
              appId: app,
              userId: 'u:racer',
              cozeConversationId: newId('cz'),
              cozeUser: 'x',
              createdAt: Date.now(),
              maxPerUser: 3,
            }),
          );
          const settled = await Promise.allSettled(attempts);
          expect(settled.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
          for (const r of settled) {
            if (r.status === 'rejected')
              expect(r.reason).toMatchObject({ code: 'GW_TOO_MANY_CONVERSATIONS' });
          }
          expect(await ledger.countConversations(app, 'u:racer')).toBe(3);
          // Another user of the app is not held back by this one's cap.
          await expect(
            ledger.createConversation({
              id: newId('cv'),
              appId: app,
              userId: 'u:other',
              cozeConversationId: newId('cz'),
              cozeUser: 'x',
              createdAt: Date.now(),
              maxPerUser: 3,
            }),
          ).resolves.toMatchObject({ userId: 'u:other' });
        } finally {
          if (second !== ledger) await second.close();
        }
      });

      it('move with their turns to another user of the same app', async () => {
        const app = newApp();
        const a = await conversation(ledger, app, 'v:visitor');
        const b = await conversation(ledger, app, 'v:visitor');
        const elsewhere = await conversation(ledger, newApp(), 'v:visitor');
        const t = await turn(ledger, a);
        // Found (and so remembered) before the move: the move forgets it for the old owner.
        expect(await ledger.findConversation(app, 'v:visitor', a.id)).toMatchObject({ id: a.id });
        expect(await ledger.moveConversations(app, 'v:visitor', 'u:alice')).toBe(2);
        expect(await ledger.findConversation(app, 'v:visitor', a.id)).toBeUndefined();
        expect((await ledger.listConversations(app, 'u:alice', 10)).map((c) => c.id).sort()).toEqual(
          [a.id, b.id].sort(),
        );
        expect(await ledger.getTurn(t)).toMatchObject({ userId: 'u:alice' });
        expect(await ledger.findConversation(app, 'u:alice', a.id)).toMatchObject({
          id: a.id,
          userId: 'u:alice',
        });
        expect(await ledger.findConversation(elsewhere.appId, 'v:visitor', elsewhere.id)).toEqual(elsewhere);
        expect(await ledger.moveConversations(app, 'v:visitor', 'u:alice')).toBe(0);
      });
    });

    describe('turns', () => {
      it('start pending, title the conversation once and bump its updated_at', async () => {
        const c = await conversation(ledger, newApp(), 'u:1', Date.now() - 60_000);
        const first = await turn(ledger, c, 'What is the answer to everything?');
        const t = await ledger.getTurn(first);
        expect(t).toMatchObject({
          id: first,
          appId: c.appId,
          conversationId: c.id,
          userId: 'u:1',
          question: 'What is the answer to everything?',
          answer: null,
          status: 'pending',
          errorCode: null,
          usage: null,
          cozeChatId: null,
          cozeLogId: null,
          latencyMs: null,
          firstTokenMs: null,
          finishedAt: null,
        });
        const after = await ledger.findConversation(c.appId, c.userId, c.id);
        expect(after?.title).toBe('What is the answer to everything?');
        expect(after!.updatedAt).toBeGreaterThan(c.updatedAt);
        expect(after!.updatedAt).toBe(t!.createdAt);
        expect(after!.createdAt).toBe(c.createdAt);
        await turn(ledger, c, 'Another question');
        expect((await ledger.findConversation(c.appId, c.userId, c.id))?.title).toBe(
          'What is the answer to everything?',
        );
      });

      it('title with the first 80 characters of a long question', async () => {
        const c = await conversation(ledger, newApp(), 'u:1');
        await turn(ledger, c, 'x'.repeat(79) + '😀 and more after the cut');
        expect((await ledger.findConversation(c.appId, c.userId, c.id))?.title).toBe('x'.repeat(79) + '😀');
      });

      it('are listed oldest first, the last `limit` of them', async () => {
        const c = await conversation(ledger, newApp(), 'u:1');
        const ids = [];
        for (let i = 0; i < 5; i++) ids.push(await turn(ledger, c, `q${i}`));
        expect((await ledger.listTurns(c.id, 10)).map((t) => t.id)).toEqual(ids);
        expect((await ledger.listTurns(c.id, 3)).map((t) => t.question)).toEqual(['q2', 'q3', 'q4']);
        expect(await ledger.listTurns('cv_none', 10)).toEqual([]);
      });

      it('finish with every field, as JS numbers', async () => {
        const c = await conversation(ledger, newApp(), 'u:1');
        const id = await turn(ledger, c);
        await ledger.finishTurn(id, { ...outcome, status: 'failed', errorCode: 'GW_CHAT_FAILED' });
        const t = await ledger.getTurn(id);
        expect(t).toMatchObject({
          status: 'failed',
          answer: 'It is 42.',
          errorCode: 'GW_CHAT_FAILED',
          usage: { inputTokens: 12, outputTokens: 34, totalTokens: 46 },
          cozeChatId: '7400000000000000001',
          cozeLogId: '20250101000000ABCDEF',
          latencyMs: 1234,
          firstTokenMs: 211,
        });
        for (const n of [t!.createdAt, t!.finishedAt, t!.latencyMs, t!.firstTokenMs, t!.usage!.totalTokens])
          expect(typeof n).toBe('number');
        expect(t!.finishedAt).toBeGreaterThanOrEqual(t!.createdAt);
        const conv = (await ledger.findConversation(c.appId, c.userId, c.id))!;
        expect(typeof conv.createdAt).toBe('number');
        expect(typeof conv.updatedAt).toBe('number');
      });

      it('finish without usage or first token as nulls', async () => {
        const c = await conversation(ledger, newApp(), 'u:1');
        const id = await turn(ledger, c);
        await ledger.finishTurn(id, { status: 'interrupted', answer: '', latencyMs: 5 });
        expect(await ledger.getTurn(id)).toMatchObject({
          status: 'interrupted',
          answer: '',
          usage: null,
          firstTokenMs: null,
          cozeChatId: null,
          errorCode: null,
          latencyMs: 5,
        });
      });

      it('are left as they are once ended', async () => {
        const c = await conversation(ledger, newApp(), 'u:1');
        const id = await turn(ledger, c);
        await ledger.finishTurn(id, outcome);
        const ended = await ledger.getTurn(id);
        await ledger.finishTurn(id, {
          status: 'canceled',
          answer: 'other',
          errorCode: 'GW_CANCELED',
          latencyMs: 9,
        });
        expect(await ledger.getTurn(id)).toEqual(ended);
      });

      it('note the Coze chat and log ids', async () => {
        const c = await conversation(ledger, newApp(), 'u:1');
        const id = await turn(ledger, c);
        await ledger.noteCozeChat(id, 'chat-1', 'log-1');
        expect(await ledger.getTurn(id)).toMatchObject({
          cozeChatId: 'chat-1',
          cozeLogId: 'log-1',
          status: 'pending',
        });
        await ledger.noteCozeChat(id, 'chat-2', undefined);
        expect(await ledger.getTurn(id)).toMatchObject({ cozeChatId: 'chat-2', cozeLogId: null });
        expect(await ledger.getTurn('tn_missing')).toBeUndefined();
      });

      it('keep a 100 KB answer whole', async () => {
        const c = await conversation(ledger, newApp(), 'u:1');
        const id = await turn(ledger, c);
        const answer = 'Line of the answer, 答案, ünïcödé 🚀\n'.repeat(2500);
        expect(Buffer.byteLength(answer)).toBeGreaterThan(100_000);
        await ledger.finishTurn(id, { ...outcome, answer });
        expect((await ledger.getTurn(id))?.answer).toBe(answer);
      });

      it('keep non-ASCII text and emoji (4-byte UTF-8) everywhere', async () => {
        const user = 'u:用户-Ωμέγα-🦄';
        const c = await conversation(ledger, newApp(), user);
        const question = '今天天气怎么样？ Ça va? 👩🏽‍💻🎉 𝄞';
        const id = await turn(ledger, c, question);
        await ledger.finishTurn(id, { ...outcome, answer: '晴天 ☀️ — 24 °C 🌡️ 🐉' });
        expect(await ledger.findConversation(c.appId, user, c.id)).toMatchObject({
          userId: user,
          title: question,
        });
        expect(await ledger.getTurn(id)).toMatchObject({
          question,
          answer: '晴天 ☀️ — 24 °C 🌡️ 🐉',
          userId: user,
        });
        expect((await ledger.listConversations(c.appId, user, 5)).map((x) => x.id)).toEqual([c.id]);
      });
    });

    describe('failures', () => {
      it('a value the database refuses is a data error, never reported as an outage', async () => {
        const c = await conversation(ledger, newApp(), 'u:1');
        const id = await turn(ledger, c);
        // A second turn with the same id: a constraint the database enforces (a bug, not an outage).
        const err = await ledger
          .startTurn({ id, appId: c.appId, conversationId: c.id, userId: c.userId, question: 'again' })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(err).toBeInstanceOf(GatewayError);
        expect(err).toMatchObject({ code: 'GW_INTERNAL' });
      });

      it('an id from a request that the database cannot compare is bad input (400), not an outage', async () => {
        const app = newApp();
        const results = await Promise.all([
          ledger.getTurn('tn_\u0000x').then(
            (v) => ({ v }),
            (e: unknown) => ({ e }),
          ),
          ledger.findConversation(app, 'u:1', 'cv_\u0000x').then(
            (v) => ({ v }),
            (e: unknown) => ({ e }),
          ),
        ]);
        for (const r of results) {
          // PostgreSQL refuses NUL in text (SQLSTATE 22021); SQLite and MySQL simply find nothing.
          if (kind === 'postgres')
            expect(r).toMatchObject({ e: { code: 'GW_INVALID_REQUEST', status: 400 } });
          else expect(r).toEqual({ v: undefined });
        }
      });
    });

    describe('maintenance', () => {
      it('interruptStaleTurns ends only old pending turns', async () => {
        await withOwnLedger(async (l) => {
          const c = await conversation(l, newApp(), 'u:1');
          const oldPending = await turn(l, c);
          const recentPending = await turn(l, c);
          const oldDone = await turn(l, c);
          await l.finishTurn(oldDone, outcome);
          for (const id of [oldPending, oldDone]) await backdate(l, 'turns', id, Date.now() - DAY);
          const before = await l.getTurn(oldDone);
          expect(await l.interruptStaleTurns(60_000)).toBe(1);
          expect(await l.getTurn(oldPending)).toMatchObject({
            status: 'interrupted',
            errorCode: 'GW_INTERRUPTED',
          });
          expect((await l.getTurn(oldPending))?.finishedAt).toEqual(expect.any(Number));
          expect(await l.getTurn(recentPending)).toMatchObject({ status: 'pending', errorCode: null });
          expect(await l.getTurn(oldDone)).toEqual(before);
          expect(await l.interruptStaleTurns(60_000)).toBe(0);
        });
      });

      it('deleteOlderThan removes old turns and emptied conversations, never pending or recent ones', async () => {
        await withOwnLedger(async (l) => {
          const app = newApp();
          const old = Date.now() - 40 * DAY;
          const allOld = await conversation(l, app, 'u:1');
          const mixed = await conversation(l, app, 'u:1');
          const pending = await conversation(l, app, 'u:1');
          const emptyOld = await conversation(l, app, 'u:1', old);
          const emptyRecent = await conversation(l, app, 'u:1');
          const gone = [await turn(l, allOld), await turn(l, mixed)];
          const kept = [await turn(l, mixed), await turn(l, pending)];
          for (const id of [...gone, kept[0]]) await l.finishTurn(id, outcome);
          for (const id of [...gone, kept[1]]) await backdate(l, 'turns', id, old);
          for (const c of [allOld, mixed, pending]) await backdate(l, 'conversations', c.id, old);

          expect(await l.deleteOlderThan(30)).toEqual({ turns: 2, conversations: 2 });
          for (const id of gone) expect(await l.getTurn(id)).toBeUndefined();
          expect(await l.getTurn(kept[0])).toMatchObject({ status: 'completed' });
          expect(await l.getTurn(kept[1])).toMatchObject({ status: 'pending' });
          const left = (await l.listConversations(app, 'u:1', 10)).map((c) => c.id).sort();
          expect(left).toEqual([mixed.id, pending.id, emptyRecent.id].sort());
          expect(await l.findConversation(app, 'u:1', emptyOld.id)).toBeUndefined();
          expect(await l.deleteOlderThan(30)).toEqual({ turns: 0, conversations: 0 });
        });
      });

      it('deleteOlderThan refuses a number of days that is not above 0', async () => {
        await expect(ledger.deleteOlderThan(0)).rejects.toThrow(RangeError);
        await expect(ledger.deleteOlderThan(Number.NaN)).rejects.toThrow(RangeError);
      });

      it('ping answers', async () => {
        await expect(ledger.ping()).resolves.toBeUndefined();
      });
    });

    describe('openLedger', () => {
      if (kind === 'sqlite') {
        it('fails with one line when the file cannot be opened', async () => {
          // A path below a regular file: no directory can be made there.
          const dir = mkdtempSync(join(tmpdir(), 'cg-blocker-'));
          const blocker = join(dir, 'file');
          writeFileSync(blocker, '');
          const err = await openLedger(configFor(`sqlite:${blocker}/ledger.db`)).catch((e: Error) => e);
          expect(err).toBeInstanceOf(Error);
          const message = (err as Error).message;
          expect(message.startsWith(`DATABASE_URL sqlite:${blocker}/ledger.db cannot be opened: `)).toBe(
            true,
          );
          expect(message).toMatch(/cannot be opened: \S/);
          expect(message).not.toContain('\n');
          rmSync(dir, { recursive: true, force: true });
        });
        return;
      }
      const scheme = kind === 'postgres' ? 'postgres' : 'mysql';
      const user = kind === 'postgres' ? 'postgres' : 'root';

      it('fails with one line naming the setting and the URL, without the password, when unreachable', async () => {
        const config = configFor(`${scheme}://${user}:s3cr%40t-pw@127.0.0.1:1/x`);
        const err = await openLedger(config).catch((e: Error) => e);
        expect(err).toBeInstanceOf(Error);
        const message = (err as Error).message;
        expect(message).toMatch(
          new RegExp(
            `^DATABASE_URL ${scheme}://${user}:\\*\\*\\*@127\\.0\\.0\\.1:1/x is not reachable: .*ECONNREFUSED`,
          ),
        );
        expect(message).not.toContain('\n');
        expect(message).not.toMatch(/s3cr|%40t-pw|@t-pw/);
      });

      it('fails with one line when the server refuses us (no such database)', async () => {
        const url = new URL(database.url);
        url.pathname = '/cg_no_such_database';
        const err = await openLedger(configFor(url.href)).catch((e: Error) => e);
        expect(err).toBeInstanceOf(Error);
        expect((err as Error).message).toMatch(
          /^DATABASE_URL \S+\/cg_no_such_database refused us: .*cg_no_such_database/,
        );
        expect((err as Error).message).not.toContain('\n');
      });

      it('reports GW_LEDGER_UNAVAILABLE while the database is gone, and recovers when it is back', async () => {
        const target = new URL(database.url);
        const proxy = new TcpProxy(target.hostname, Number(target.port));
        const port = await proxy.start();
        target.host = `127.0.0.1:${port}`;
        const l = await openLedger(configFor(target.href, { DATABASE_POOL_MAX: '2' }), { migrate: false });
        try {
          const c = await conversation(l, newApp(), 'u:1');
          await proxy.stop();
          for (const op of [
            () => l.ping(),
            () => l.findConversation(c.appId, 'u:1', c.id),
            () => turn(l, c),
          ]) {
            const err = await op().then(
              () => undefined,
              (e: unknown) => e,
            );
            expect(err).toBeInstanceOf(GatewayError);
            expect(err).toMatchObject({ code: 'GW_LEDGER_UNAVAILABLE' });
          }
          await proxy.start();
          expect(await eventually(() => l.findConversation(c.appId, 'u:1', c.id))).toEqual(c);
          await turn(l, c);
          expect(await l.listTurns(c.id, 5)).toHaveLength(1);
        } finally {
          await l.close();
          await proxy.stop();
        }
      });

      it('recovers after the server ends our connections', async () => {
        const l = await openLedger(configFor(database.url, { DATABASE_POOL_MAX: '3' }), { migrate: false });
        try {
          await Promise.all([l.ping(), l.ping(), l.ping()]);
          const name = new URL(database.url).pathname.slice(1);
          let ended = 0;
          if (kind === 'postgres') {
            const { rows } = await sql`select pg_terminate_backend(pid) from pg_stat_activity
                      where datname = ${name} and pid <> pg_backend_pid()`.execute(ledger.db);
            ended = rows.length;
          } else {
            const { rows } = await sql<{ id: number }>`select id from information_schema.processlist
                      where db = ${name} and id <> connection_id()`.execute(ledger.db);
            for (const r of rows) await sql`kill ${sql.raw(String(Number(r.id)))}`.execute(ledger.db);
            ended = rows.length;
          }
          expect(ended).toBeGreaterThanOrEqual(3);
          await eventually(() => l.ping());
          await expect(Promise.all([l.ping(), l.ping(), l.ping()])).resolves.toBeDefined();
        } finally {
          await l.close();
        }
      });
    });
  });
}

/** Retries `op` until it succeeds (a pool may hand out one dead connection before it notices). */
async function eventually<T>(op: () => Promise<T>, attempts = 50): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await op();
    } catch (err) {
      if (i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
