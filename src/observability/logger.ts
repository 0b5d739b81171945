import { type Logger, pino } from 'pino';
import { redactSecrets } from './redact.js';

export type { Logger };

// Paths whose values never reach a log line, wherever a secret could travel.
const REDACT = [
  'req.headers.authorization',
  'req.headers["x-gateway-signature"]',
  'req.headers["x-simulator-control"]',
  'headers.authorization',
  '*.token',
  '*.access_token',
  '*.privateKeyPem',
  '*.pat',
  '*.secret',
  'token',
  'access_token',
];

/** Errors as pino writes them, with the password of any URL in their message or stack masked. */
function errSerializer(e: unknown) {
  const out = pino.stdSerializers.err(e as Error) as unknown as Record<string, unknown>;
  if (out && typeof out === 'object') {
    for (const k of ['message', 'stack'] as const) {
      if (typeof out[k] === 'string') out[k] = redactSecrets(out[k] as string);
    }
  }
  return out;
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'coze-gateway' },
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: { err: errSerializer },
      // A message that carries a URL (a driver's error text) keeps its host, never its password.
      hooks: {
        logMethod(args, method) {
          const i = args.findIndex((a) => typeof a === 'string');
          if (i >= 0) args[i] = redactSecrets(args[i] as string);
          return method.apply(this, args as Parameters<typeof method>);
        },
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination as pino.DestinationStream | undefined,
  );
}
