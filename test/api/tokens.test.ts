import { afterEach, describe, expect, it } from 'vitest';
import { chat, get, visitor } from '../helpers/client.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

// The gateway in simulator mode uses the same OAuth JWT path as production (an RS256 assertion
// exchanged at the simulator's /api/permission/oauth2/token), with a PAT beside it as fallback.

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

const exchangesOf = (g: TestGateway) => g.simulator!.stats().tokenExchangesBySession;

/** Coze session_name of a visitor, as the gateway builds it. */
async function visitorWithName(base: string) {
  const r = await fetch(`${base}/v1/sessions/visitor`, { method: 'POST' });
  const s = (await r.json()) as { token: string; user_id: string };
  return { token: s.token, sessionName: `default:v:${s.user_id}` };
}

async function metric(g: TestGateway, name: string): Promise<number> {
  const text = await (await get(g.url, '/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('Coze tokens per user', () => {
  it('many turns of one user make one token exchange, under that user own session_name', async () => {
    gw = await startTestGateway();
    const v = await visitorWithName(gw.url);
    const first = await chat(gw.url, v.token, 'one');
    for (let i = 0; i < 5; i++) await chat(gw.url, v.token, `turn ${i}`, first.body.conversation_id);
    expect(exchangesOf(gw)[v.sessionName]).toBe(1);
  });

  it('N concurrent first requests of one user make one exchange; each user gets their own', async () => {
    gw = await startTestGateway();
    const users = await Promise.all([1, 2, 3].map(() => visitorWithName(gw!.url)));
    await Promise.all(
      users.flatMap((u) => Array.from({ length: 8 }, (_, i) => chat(gw!.url, u.token, `hi ${i}`))),
    );
    for (const u of users) expect(exchangesOf(gw)[u.sessionName]).toBe(1);
    expect(await metric(gw, 'coze_token_exchanges_total')).toBeGreaterThanOrEqual(3);
  });

  it('the PAT takes over when the exchange fails, is counted, and OAuth is used again once it is back', async () => {
    gw = await startTestGateway();
    gw.simulator!.setFaults({ tokenEndpointDown: true });
    const v = await visitorWithName(gw.url);
    const r = await chat(gw.url, v.token, 'during the outage');
    expect(r.status).toBe(200);
    expect(r.body.answer).toBe('You said: during the outage');
    expect(exchangesOf(gw)[v.sessionName]).toBeUndefined();
    expect(await metric(gw, 'coze_pat_fallbacks_total')).toBeGreaterThanOrEqual(1);

    gw.simulator!.resetFaults();
    // A PAT fallback is cached only briefly; a new user gets an OAuth token at once.
    const w = await visitorWithName(gw.url);
    expect((await chat(gw.url, w.token, 'after')).status).toBe(200);
    expect(exchangesOf(gw)[w.sessionName]).toBe(1);
  });

  it('keeps answering across token expiry: short-lived tokens are refreshed, never refused', async () => {
    gw = await startTestGateway();
    gw.simulator!.setFaults({ tokenMaxDurationSeconds: 2 });
    const v = await visitorWithName(gw.url);
    const first = await chat(gw.url, v.token, 'one');
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 700));
      const r = await chat(gw.url, v.token, `again ${i}`, first.body.conversation_id);
      expect(r.status).toBe(200);
    }
    expect(exchangesOf(gw)[v.sessionName]).toBeGreaterThanOrEqual(2);
  });

  it('/ready is green with working credentials; a wrong PAT gets a coded auth error on use', async () => {
    gw = await startTestGateway();
    expect((await get(gw.url, '/ready')).status).toBe(200);
    const bad = await startTestGateway({
      COZE_BASE_URL: gw.simulator!.url,
      COZE_PAT: 'pat_wrong',
      COZE_BOT_ID: '7500000000000000001',
    });
    try {
      // A wrong PAT also fails on use (besides /ready turning not ready): chatting fails with a coded auth error.
      const token = await visitor(bad.url);
      const r = await chat(bad.url, token, 'hello');
      expect(r.status).toBe(502);
      expect(r.body.error?.code).toBe('GW_COZE_AUTH');
    } finally {
      await bad.stop();
    }
  });
});
