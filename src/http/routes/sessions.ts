import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type AppConfig, SSO_DEFAULTS } from '../../config/index.js';
import { GatewayError } from '../../errors.js';
import {
  businessContext,
  checkIdentifier,
  type IssuedSession,
  ipAllowed,
  principalOf,
  type Session,
  SSO_MAX_SKEW_SECONDS,
  useOnce,
  useSsoTokenOnce,
  verifySignature,
  verifySsoToken,
} from '../../identity/index.js';
import { compositeKey } from '../../keys.js';
import { appOf, checkOrigin, enforce } from '../apps.js';
import type { AppDeps } from '../context.js';
import { identifier, parseBody, printable } from '../validate.js';

const userId = identifier(128).refine((s) => s.trim().length > 0, 'must not be empty');
const appId = identifier(64);

const signedSessionBody = z.object({
  app: appId.optional(),
  user: z.object({ id: userId, name: printable(100).optional() }),
  context: businessContext.optional(),
  merge_visitor: z.string().max(100).optional(),
  // Makes two genuine requests in the same second differ (each signature is accepted once).
  nonce: identifier(128).optional(),
});

const ssoBody = z.object({ token: z.string().min(1).max(8192), app: appId.optional() });
const visitorBody = z.object({ app: appId.optional() });

function answer(s: IssuedSession) {
  return {
    token: s.token,
    user_id: s.session.userId,
    expires_at: new Date(s.session.expiresAt).toISOString(),
  };
}

/** New sessions from one address are limited (visitors and SSO come from browsers). */
function limitSessions(deps: AppDeps, req: FastifyRequest, reply: FastifyReply, app: AppConfig) {
  return enforce(deps, reply, [
    {
      name: 'sessions_per_ip',
      key: compositeKey('ip', app.id, req.addressKey),
      rule: app.rateLimits.sessionsPerIp,
    },
  ]);
}

export function sessionRoutes(app: FastifyInstance, deps: AppDeps): void {
  // The host site's backend vouches for its user: HMAC-SHA256 over "<timestamp>.<raw body>" with
  // the app's secret; each signature is good once; optionally only from the app's addresses.
  app.post('/v1/sessions', async (req, reply) => {
    const body = parseBody(signedSessionBody, req.body);
    const target = appOf(deps, body.app ?? 'default');
    if (target.secrets.length === 0) {
      throw new GatewayError('GW_BAD_SIGNATURE', {
        message: `Signed sessions are not enabled for app "${target.id}" (it has no secret).`,
      });
    }
    if (!ipAllowed(req.clientAddress, target.ipAllowlist)) throw new GatewayError('GW_IP_FORBIDDEN');
    checkOrigin(req, target);
    const signature = req.headers['x-gateway-signature'] as string | undefined;
    verifySignature(
      target.secrets,
      req.headers['x-gateway-timestamp'] as string | undefined,
      signature,
      req.rawBody ?? '',
    );
    await useOnce(deps.store, target.id, signature!, Number(req.headers['x-gateway-timestamp']));

    const user: Omit<Session, 'expiresAt'> = {
      appId: target.id,
      userId: body.user.id,
      kind: 'user',
      name: body.user.name,
      context: body.context,
    };
    if (body.merge_visitor) await mergeVisitor(deps, body.merge_visitor, user);
    const issued = await deps.sessions.issue(user, target.sessionTtlSeconds);
    return reply.status(201).send(answer(issued));
  });

  // The host signed an HS256 JWT for its logged-in user (e.g. EverShop's CHATBOT_SSO_SECRET).
  app.post('/v1/sessions/sso', async (req, reply) => {
    const body = parseBody(ssoBody, req.body);
    const audience = body.app === undefined ? audienceOf(body.token) : undefined;
    // A token for an app this gateway does not have is a bad token (401), not a bad request path.
    if (audience !== undefined && !deps.apps.has(audience)) {
      throw new GatewayError('GW_SSO_INVALID', {
        message: `The SSO token is not valid: its audience "${audience.slice(0, 64)}" is not an app of this gateway.`,
      });
    }
    const target = appOf(deps, checkIdentifier('app', body.app ?? audience ?? 'default', 64));
    checkOrigin(req, target);
    await limitSessions(deps, req, reply, target);
    const sso = target.sso ?? SSO_DEFAULTS;
    const claims = await verifySsoToken(body.token, target.id, target.secrets, {
      maxLifetimeSeconds: sso.maxTokenLifetimeSeconds,
    });
    if (sso.singleUse) await useSsoTokenOnce(deps.store, target.id, claims, SSO_MAX_SKEW_SECONDS);
    const context = claims.context === undefined ? undefined : businessContext.safeParse(claims.context);
    if (context && !context.success) {
      throw new GatewayError('GW_SSO_INVALID', {
        message: 'The SSO token is not valid: its "context" claim is malformed.',
      });
    }
    const issued = await deps.sessions.issue(
      { appId: target.id, userId: claims.sub, kind: 'user', name: claims.name, context: context?.data },
      // From the exchange; an app may make SSO sessions shorter than its others, never longer.
      Math.min(target.sessionTtlSeconds, sso.sessionTtlSeconds ?? target.sessionTtlSeconds),
    );
    return reply.status(201).send(answer(issued));
  });

  app.post('/v1/sessions/visitor', async (req, reply) => {
    const body = req.body === undefined ? {} : parseBody(visitorBody, req.body);
    const target = appOf(
      deps,
      checkIdentifier('app', body.app ?? (req.query as { app?: unknown }).app ?? 'default', 64),
    );
    if (!target.visitors) throw new GatewayError('GW_VISITORS_DISABLED');
    checkOrigin(req, target);
    await limitSessions(deps, req, reply, target);
    const issued = await deps.sessions.issueVisitor(target.id, req.headers.origin, target.sessionTtlSeconds);
    return reply.status(201).send(answer(issued));
  });
}

/** The app an SSO token names in `aud`, read before verification only to pick the secrets. */
function audienceOf(token: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      aud?: unknown;
    };
    return typeof payload.aud === 'string' ? payload.aud : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A visitor logged in on the host site: their conversations move to the identified user (same
 * app only), and the visitor token stops working.
 */
async function mergeVisitor(
  deps: AppDeps,
  visitorToken: string,
  user: Omit<Session, 'expiresAt'>,
): Promise<void> {
  const visitor = await deps.sessions.visitorToMerge(visitorToken, user.appId);
  await deps.ledger.moveConversations(user.appId, principalOf(visitor), principalOf(user));
  await deps.sessions.revoke(visitorToken);
}
