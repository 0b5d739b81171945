import { type Logger, pino } from 'pino';

export type { Logger };

// Paths whose values never reach a log line, wherever a secret could travel.
const REDACT = [
  'req.headers.authorization',
  'req.headers["x-gateway-signature"]',
  'headers.authorization',
  '*.token',
  '*.access_token',
  '*.privateKeyPem',
  '*.pat',
  '*.secret',
  'token',
  'access_token',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'coze-gateway' },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination as pino.DestinationStream | undefined,
  );
}
