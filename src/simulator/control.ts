// Test-only control routes: faults and stats for out-of-process tests. Each needs the simulator's
// control token in `X-Simulator-Control` (given at start, or made there and shown): anyone who can
// reach the simulator could otherwise fail every chat of a gateway using it.
//   POST   /_simulator/faults        body = Partial<Faults>  -> { faults }
//   GET    /_simulator/faults                                -> { faults }
//   DELETE /_simulator/faults                                -> { faults } (defaults)
//   GET    /_simulator/stats                                 -> SimulatorStats
//   POST   /_simulator/stats/reset                           -> SimulatorStats (zeroed)
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestContext } from './context.js';
import type { Faults } from './faults.js';
import { validateFaults } from './faults.js';
import { readJson, sendJson } from './http-util.js';
import type { SimulatorStats } from './index.js';

export const CONTROL_PREFIX = '/_simulator/';
export const CONTROL_HEADER = 'x-simulator-control';

export interface ControlApi {
  /** The credential of the control routes. */
  controlToken: string;
  faults(): Readonly<Faults>;
  setFaults(f: Partial<Faults>): void;
  resetFaults(): void;
  stats(): SimulatorStats;
  resetStats(): void;
}

export async function handleControl(api: ControlApi, rc: RequestContext): Promise<void> {
  const { req, res, logId } = rc;
  const route = `${req.method} ${rc.url.pathname}`;
  if (!sameSecret(req.headers[CONTROL_HEADER], api.controlToken)) {
    req.resume();
    return sendJson(
      res,
      401,
      { error: `control routes need the simulator's control token in ${CONTROL_HEADER}` },
      logId,
    );
  }
  switch (route) {
    case 'GET /_simulator/faults':
      return sendJson(res, 200, { faults: api.faults() }, logId);
    case 'POST /_simulator/faults': {
      const body = await readJson(req);
      const problems = body.ok ? validateFaults(body.value) : ['body is not JSON'];
      if (!body.ok || problems.length > 0) return sendJson(res, 400, { error: problems.join('; ') }, logId);
      api.setFaults(body.value as Partial<Faults>);
      return sendJson(res, 200, { faults: api.faults() }, logId);
    }
    case 'DELETE /_simulator/faults':
      api.resetFaults();
      return sendJson(res, 200, { faults: api.faults() }, logId);
    case 'GET /_simulator/stats':
      return sendJson(res, 200, api.stats(), logId);
    case 'POST /_simulator/stats/reset':
      api.resetStats();
      return sendJson(res, 200, api.stats(), logId);
    default:
      return sendJson(res, 404, { error: `unknown control route: ${route}` }, logId);
  }
}

function sameSecret(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string' || expected === '') return false;
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
