import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { chat, until, visitor } from '../helpers/client.js';
import { startTestGateway } from '../helpers/gateway.js';

it('RETENTION_DAYS deletes old turns (and their emptied conversations) at start, keeping recent ones', async () => {
  const first = await startTestGateway();
  const token = await visitor(first.url);
  const old = await chat(first.url, token, 'an old question');
  const recent = await chat(first.url, token, 'a recent question');
  await first.close();

  const db = new Database(first.dbPath);
  const tenDaysAgo = Date.now() - 10 * 86_400_000;
  db.prepare('update turns set created_at = ? where id = ?').run(tenDaysAgo, old.body.turn_id);
  db.prepare('update conversations set created_at = ?, updated_at = ? where id = ?').run(
    tenDaysAgo,
    tenDaysAgo,
    old.body.conversation_id,
  );
  db.close();

  const second = await startTestGateway({ DATABASE_URL: `sqlite:${first.dbPath}`, RETENTION_DAYS: '7' });
  try {
    const left = await until(() => {
      const d = new Database(first.dbPath, { readonly: true });
      const turns = d.prepare('select id from turns').all() as { id: string }[];
      const conversations = d.prepare('select id from conversations').all() as { id: string }[];
      d.close();
      return turns.length === 1 ? { turns, conversations } : undefined;
    });
    expect(left.turns.map((t) => t.id)).toEqual([recent.body.turn_id]);
    expect(left.conversations.map((c) => c.id)).toEqual([recent.body.conversation_id]);
  } finally {
    await second.stop();
    await first.stop();
  }
});
