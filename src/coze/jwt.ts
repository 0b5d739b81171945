// The signed JWT assertion of an OAuth service app (coze-protocol.md §2.2 step 2).
import { createPrivateKey, randomBytes } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';

export interface JwtAppCredentials {
  clientId: string;
  keyId: string;
  privateKeyPem: string;
  ttlSeconds: number; // requested access-token lifetime, <= 86399 (§2.2 step 3)
}

/** Lifetime of the assertion itself (SDKs use iat+3600; shorter is allowed). */
const ASSERTION_SECONDS = 600;

/** Throws a plain Error naming the problem when `pem` is not an RSA PKCS#8 private key (§2.2 step 1). */
export function validatePrivateKey(pem: string): void {
  if (pem.includes('-----BEGIN RSA PRIVATE KEY-----')) {
    throw new Error(
      'The Coze private key is in PKCS#1 form ("BEGIN RSA PRIVATE KEY"); convert it with ' +
        '`openssl pkcs8 -topk8 -nocrypt -in key.pem -out private_key.pem` or use the private_key.pem the Coze console downloads.',
    );
  }
  if (!pem.includes('-----BEGIN PRIVATE KEY-----')) {
    throw new Error(
      'The Coze private key must be a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), as downloaded from the Coze console.',
    );
  }
  let type: string | undefined;
  try {
    type = createPrivateKey(pem).asymmetricKeyType;
  } catch {
    throw new Error('The Coze private key could not be read; it is not a valid PKCS#8 PEM.');
  }
  if (type !== 'rsa') throw new Error(`The Coze private key must be an RSA key (RS256), not ${type}.`);
}

export interface AssertionSigner {
  sign(sessionName: string, nowMs: number): Promise<string>;
}

/** `audience` is the API host with port, like cozepy's netloc (§1.1: api.coze.cn / api.coze.com). */
export function createAssertionSigner(creds: JwtAppCredentials, audience: string): AssertionSigner {
  validatePrivateKey(creds.privateKeyPem);
  let key: ReturnType<typeof importPKCS8> | undefined;
  return {
    async sign(sessionName, nowMs) {
      key ??= importPKCS8(creds.privateKeyPem, 'RS256');
      const iat = Math.floor(nowMs / 1000);
      return new SignJWT({ session_name: sessionName })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: creds.keyId })
        .setIssuer(creds.clientId)
        .setAudience(audience)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ASSERTION_SECONDS)
        .setJti(randomBytes(32).toString('hex')) // single use: a fresh nonce per exchange (§2.2 step 2)
        .sign(await key);
    },
  };
}
