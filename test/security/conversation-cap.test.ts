// The conversations-per-user cap holds under a burst of creations (issue 12, finding 8: the count
// and the insert were separate steps, and cap 3 gave 5 on PostgreSQL). On every DIALECT.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post, signedSession } from '../helpers/client.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../helpers/databases.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { selection } from '../helpers/selection.js';

const SECRET = 'cap-secret-0123456789abcdef';

for (const kind of selection('DIALECTS') as DatabaseKind[]) {
  describe(`the conversation cap, on ${kind}`, () => {
    let db: TestDatabase | undefined;
    let gw: TestGateway;
    beforeAll(async () => {
      const env: Record<string, string> = { GATEWAY_SECRET: SECRET, MAX_CONVERSATIONS_PER_USER: '3' };
      if (kind !== 'sqlite') {
        db = await createTestDatabase(kind);
        env.DATABASE_URL = db.url;
      }
      gw = await startTestGateway(env);
    });
    afterAll(async () => {
      await gw?.stop();
      await db?.drop();
    });

    it('lets 12 simultaneous new conversations of one user make exactly 3', async () => {
      const r = await signedSession(gw.url, SECRET, JSON.stringify({ user: { id: 'burst' } }));
      const { token } = (await r.json()) as { token: string };
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => post(gw.url, '/v1/chat', token, { message: `new ${i}` })),
      );
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(3);
      for (const a of answers.filter((x) => x.status !== 200)) {
        expect(a.status).toBe(409);
        expect(((await a.json()) as { error: { code: string } }).error.code).toBe(
          'GW_TOO_MANY_CONVERSATIONS',
        );
      }
      const list = (await (await get(gw.url, '/v1/conversations', token)).json()) as {
        conversations: unknown[];
      };
      expect(list.conversations).toHaveLength(3);
    });
  });
}
