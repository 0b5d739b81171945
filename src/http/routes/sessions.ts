import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../../errors.js';
import { type IssuedSession, verifySignature } from '../../identity/index.js';
import type { AppDeps } from '../context.js';
import { parseBody, printable } from '../validate.js';

const signedSessionBody = z.object({
  user: z.object({
    id: printable(128).refine((s) => s.trim().length > 0, 'must not be empty'),
    name: printable(100).optional(),
  }),
});

function answer(s: IssuedSession) {
  return {
    token: s.token,
    user_id: s.session.userId,
    expires_at: new Date(s.session.expiresAt).toISOString(),
  };
}

export function sessionRoutes(app: FastifyInstance, deps: AppDeps): void {
  // The host site's backend vouches for its user: HMAC-SHA256 over "<timestamp>.<raw body>".
  app.post('/v1/sessions', async (req, reply) => {
    const secret = deps.config.identity.secret;
    if (!secret) {
      throw new GatewayError('GW_BAD_SIGNATURE', {
        message: 'Signed sessions are not enabled on this gateway (GATEWAY_SECRET is not set).',
      });
    }
    verifySignature(
      secret,
      req.headers['x-gateway-timestamp'] as string | undefined,
      req.headers['x-gateway-signature'] as string | undefined,
      req.rawBody ?? '',
    );
    const body = parseBody(signedSessionBody, req.body);
    const issued = await deps.sessions.issue({
      appId: deps.appId,
      userId: body.user.id,
      kind: 'user',
      name: body.user.name,
    });
    return reply.status(201).send(answer(issued));
  });

  app.post('/v1/sessions/visitor', async (_req, reply) => {
    if (!deps.config.identity.visitors) throw new GatewayError('GW_VISITORS_DISABLED');
    const issued = await deps.sessions.issueVisitor(deps.appId);
    return reply.status(201).send(answer(issued));
  });
}
