import { createHash, randomBytes } from 'node:crypto';
import { GatewayError, isGatewayError } from '../errors.js';
import { newId } from '../ids.js';
import type { Store } from '../state/index.js';

export interface Session {
  appId: string;
  /** The gateway's id for the user: the host's user id, or a generated visitor id. */
  userId: string;
  kind: 'user' | 'visitor';
  name?: string;
  /** Business context the host signed (order id, page, membership…): sent to Coze with each turn. */
  context?: Record<string, string>;
  /** Visitors only: the page origin the session was made for; it is refused from any other. */
  origin?: string;
  /** Epoch ms. */
  expiresAt: number;
}

/**
 * The user as the ledger and Coze know them: kind-qualified (`u:<host id>` or `v:<visitor id>`),
 * so a host user id can never collide with a visitor id.
 */
export function principalOf(s: Pick<Session, 'kind' | 'userId'>): string {
  return `${s.kind === 'user' ? 'u' : 'v'}:${s.userId}`;
}

export interface IssuedSession {
  token: string;
  session: Session;
}

/** The user's Coze identity: each gateway user is its own Coze `session_name` and `user_id`. */
export function cozeIdentity(s: Pick<Session, 'appId' | 'kind' | 'userId'>): {
  sessionName: string;
  userId: string;
} {
  const id = `${s.appId}:${principalOf(s)}`;
  return { sessionName: id, userId: id };
}

/**
 * Opaque session tokens kept server-side in the Store with a TTL. The Store keeps only a hash of
 * each token, so a dump of the Store does not hand out usable tokens.
 */
export class Sessions {
  constructor(private readonly store: Store) {}

  async issue(s: Omit<Session, 'expiresAt'>, ttlSeconds: number): Promise<IssuedSession> {
    const token = `gws_${randomBytes(32).toString('base64url')}`;
    const session: Session = { ...s, expiresAt: Date.now() + ttlSeconds * 1000 };
    await this.store.set(key(token), JSON.stringify(session), ttlSeconds * 1000);
    return { token, session };
  }

  issueVisitor(appId: string, origin: string | undefined, ttlSeconds: number): Promise<IssuedSession> {
    return this.issue({ appId, userId: newId('v'), kind: 'visitor', origin }, ttlSeconds);
  }

  /** The session behind a bearer token; GW_UNAUTHENTICATED / GW_SESSION_EXPIRED otherwise. */
  async verify(token: string | undefined): Promise<Session> {
    if (!token || !/^gws_[A-Za-z0-9_-]{43}$/.test(token)) throw new GatewayError('GW_UNAUTHENTICATED');
    const raw = await this.store.get(key(token));
    if (raw === undefined) throw new GatewayError('GW_SESSION_EXPIRED');
    const session = JSON.parse(raw) as Session;
    if (session.expiresAt <= Date.now()) throw new GatewayError('GW_SESSION_EXPIRED');
    return session;
  }

  /**
   * The visitor session behind `token`, to merge into a user of `appId`. A token that is not a live
   * visitor of that app is bad input (400 GW_INVALID_REQUEST); a Store that cannot answer stays
   * what it is (503 GW_STORE_UNAVAILABLE), never a 400.
   */
  async visitorToMerge(token: string, appId: string): Promise<Session> {
    let visitor: Session;
    try {
      visitor = await this.verify(token);
    } catch (e) {
      if (isGatewayError(e) && (e.code === 'GW_UNAUTHENTICATED' || e.code === 'GW_SESSION_EXPIRED')) {
        throw new GatewayError('GW_INVALID_REQUEST', {
          message: 'merge_visitor is not a live visitor session token.',
        });
      }
      throw e;
    }
    if (visitor.kind !== 'visitor' || visitor.appId !== appId) {
      throw new GatewayError('GW_INVALID_REQUEST', {
        message: 'merge_visitor is not a visitor of this app.',
      });
    }
    return visitor;
  }

  async revoke(token: string): Promise<void> {
    await this.store.delete(key(token));
  }
}

function key(token: string): string {
  return `session:${createHash('sha256').update(token).digest('base64url')}`;
}
