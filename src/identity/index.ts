export { businessContext } from './context.js';
export { checkIdentifier, identifierProblem, isIdentifier } from './identifier.js';
export { ipAllowed } from './network.js';
export { useOnce } from './replay.js';
export { cozeIdentity, type IssuedSession, principalOf, type Session, Sessions } from './sessions.js';
export { SIGNATURE_WINDOW_SECONDS, signedHeaders, signRequest, verifySignature } from './signature.js';
export { type SsoClaims, verifySsoToken } from './sso.js';
