// Shared set-up for the tests that talk to the simulator over real HTTP (imported by *.test.ts only).
import { generateKeyPairSync } from 'node:crypto';
import { type Simulator, startSimulator } from '../simulator/index.js';

export const PAT = 'pat_coze_client_test';
export const BOT = '7500000000000000001';
export const APP = { clientId: '1127900100000', keyId: 'kid-test-1' };

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const PRIVATE_KEY = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PUBLIC_KEY = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();

export function startTestSimulator(): Promise<Simulator> {
  return startSimulator({
    pats: [PAT],
    oauthApps: [{ ...APP, publicKeyPem: PUBLIC_KEY }],
    deltaDelayMs: 1,
  });
}

export const jwtCredentials = (ttlSeconds = 900) => ({ ...APP, privateKeyPem: PRIVATE_KEY, ttlSeconds });

let counter = 0;
/** A session_name no other test uses, so per-session stats stay separate. */
export const uniqueSession = (label: string) => `${label}-${process.pid}-${++counter}`;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
