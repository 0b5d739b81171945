export { buildApp } from './app.js';
export type { AppDeps } from './context.js';
export { CredentialCheck, type CredentialStatus, cozeCredentialProbe } from './credential.js';
export { projectRoot } from './routes/pages.js';
