// The JWT-bearer exchange against the simulator (§2.2 step 3, §2.6).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/index.js';
import { createAgent } from './http.js';
import { createAssertionSigner } from './jwt.js';
import { exchangeJwt } from './oauth.js';
import { jwtCredentials, startTestSimulator } from './testing.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(() => sim.close());
beforeEach(() => sim.resetFaults());

const agent = createAgent(1_000);
const assertion = (kid?: string) =>
  createAssertionSigner({ ...jwtCredentials(), ...(kid ? { keyId: kid } : {}) }, new URL(sim.url).host).sign(
    's',
    Date.now(),
  );

describe('exchangeJwt', () => {
  it('reads expires_in as an absolute epoch in seconds', async () => {
    const r = await exchangeJwt({
      agent,
      baseUrl: sim.url,
      assertion: await assertion(),
      durationSeconds: 1_200,
    });
    expect(r.accessToken).toMatch(/^czs_/);
    expect(Math.abs(r.expiresAt - (Date.now() + 1_200_000))).toBeLessThan(5_000);
  });

  it('refuses a reused assertion (single use: a new jti per exchange) with GW_COZE_AUTH', async () => {
    const jwt = await assertion();
    await exchangeJwt({ agent, baseUrl: sim.url, assertion: jwt, durationSeconds: 900 });
    const err = await exchangeJwt({ agent, baseUrl: sim.url, assertion: jwt, durationSeconds: 900 }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'GW_COZE_AUTH' });
    expect((err as { logId?: string }).logId).toBeTruthy();
    expect(String((err as Error).cause)).toContain('invalid_client');
    expect((err as Error).message).not.toContain(jwt.slice(0, 20));
  });

  it('maps an unknown key id to GW_COZE_AUTH and internal_error (HTTP 500) to GW_UPSTREAM_UNAVAILABLE', async () => {
    await expect(
      exchangeJwt({ agent, baseUrl: sim.url, assertion: await assertion('nope'), durationSeconds: 900 }),
    ).rejects.toMatchObject({ code: 'GW_COZE_AUTH' });
    sim.setFaults({ tokenEndpointDown: true });
    await expect(
      exchangeJwt({ agent, baseUrl: sim.url, assertion: await assertion(), durationSeconds: 900 }),
    ).rejects.toMatchObject({ code: 'GW_UPSTREAM_UNAVAILABLE' });
  });
});
