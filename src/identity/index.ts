export { cozeIdentity, type IssuedSession, principalOf, type Session, Sessions } from './sessions.js';
export { SIGNATURE_WINDOW_SECONDS, signRequest, verifySignature } from './signature.js';
