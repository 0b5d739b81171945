import { describe, expect, it } from 'vitest';
import { startSimulator } from './index.js';
import { BOT, chatBody, PAT } from './testing.js';

describe('startSimulator', () => {
  it('listens on a random loopback port and uses host:port as JWT audience by default', async () => {
    const sim = await startSimulator();
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.stats()).toMatchObject({ requests: 0, chats: 0, tokenExchanges: 0 });
    await sim.close();
  });

  it('closes promptly with open streams', async () => {
    const sim = await startSimulator({ pats: [PAT], botIds: [BOT], deltaDelayMs: 50 });
    const streams = await Promise.all(
      [1, 2, 3].map(() =>
        fetch(`${sim.url}/v3/chat`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${PAT}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(chatBody('#long 5000')),
        }),
      ),
    );
    for (const s of streams) await s.body?.getReader().read();
    await sim.close();
    for (const s of streams) {
      await expect(s.text()).rejects.toThrow();
    }
  });
});
