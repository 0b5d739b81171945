// POST /api/permission/oauth2/token — the JWT-bearer grant (§2.2); errors per §2.6, no envelope.
import { DEFAULT_DURATION_SEC, MAX_DURATION_SEC } from './auth.js';
import type { RequestContext, SimContext } from './context.js';
import { isRecord, readJson, sendJson, sendOAuthError } from './http-util.js';

export const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export async function handleToken(ctx: SimContext, rc: RequestContext): Promise<void> {
  const { res, logId } = rc;
  const fail = (status: number, error: string, message: string): void => {
    ctx.stats.tokenRequestsFailed++;
    sendOAuthError(res, logId, status, error, message);
  };
  if (ctx.faults.current.tokenEndpointDown) return fail(500, 'internal_error', 'Service internal error.');
  const body = await readJson(rc.req);
  if (!body.ok || !isRecord(body.value)) return fail(400, 'invalid_request', 'invalid request: body');
  const { grant_type: grant, duration_seconds: duration } = body.value;
  if (typeof grant !== 'string' || grant === '')
    return fail(400, 'invalid_request', 'invalid request: grant_type');
  if (grant !== JWT_GRANT) return fail(400, 'unsupported_grant_type', `not supported grant type: ${grant}`);
  let seconds = DEFAULT_DURATION_SEC;
  if (duration !== undefined && duration !== null) {
    if (
      typeof duration !== 'number' ||
      !Number.isInteger(duration) ||
      duration <= 0 ||
      duration > MAX_DURATION_SEC
    ) {
      return fail(400, 'invalid_request', 'invalid request: duration_seconds');
    }
    seconds = duration;
  }
  const m = /^Bearer\s+(\S+)\s*$/i.exec(rc.req.headers.authorization ?? '');
  if (!m) return fail(401, 'invalid_client', 'invalid client: missing JWT');
  const result = ctx.auth.exchange(m[1] as string, seconds, ctx.faults.current.tokenMaxDurationSeconds);
  if (!result.ok) return fail(401, 'invalid_client', `invalid client: ${result.reason}`);
  ctx.stats.tokenExchanges++;
  const by = ctx.stats.tokenExchangesBySession;
  by[result.sessionName] = (by[result.sessionName] ?? 0) + 1;
  sendJson(
    res,
    200,
    { access_token: result.accessToken, expires_in: result.expiresIn, token_type: 'Bearer' },
    logId,
  );
}
