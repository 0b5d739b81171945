export { businessContext } from './context.js';
export { checkIdentifier, identifierProblem, isIdentifier } from './identifier.js';
export { addressBucket, ipAllowed, normalizeAddress } from './network.js';
export { useOnce, useSsoTokenOnce } from './replay.js';
export { cozeIdentity, type IssuedSession, principalOf, type Session, Sessions } from './sessions.js';
export { SIGNATURE_WINDOW_SECONDS, signedHeaders, signRequest, verifySignature } from './signature.js';
export { SSO_MAX_SKEW_SECONDS, type SsoClaims, type SsoRules, verifySsoToken } from './sso.js';
