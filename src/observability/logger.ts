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

/** An error as pino writes it, with the password of any URL in its message or stack masked. */
function redacted(e: ReturnType<typeof pino.stdSerializers.err>) {
  const out = e as unknown as Record<string, unknown>;
  for (const k of ['message', 'stack'] as const) {
    if (typeof out[k] === 'string') out[k] = redactSecrets(out[k] as string);
  }
  return e;
}

/**
 * `err` in a log line. A GatewayError is an expected failure (Coze refused or failed a chat, a stream
 * was cut, a request was refused): its code, its message and its cause's message, each in a field
 * of its own (pino's serializer would glue them: "…please try again.: Coze chat failed"), with no
 * stack. Anything else is a bug, and so is the cause of a GW_INTERNAL: pino's serializer, with the
 * stack. (Recognised by shape: this module imports nothing of the project.)
 */
function serializeError(err: unknown): unknown {
  if (
    !(err instanceof Error) ||
    err.name !== 'GatewayError' ||
    typeof (err as { code?: unknown }).code !== 'string'
  ) {
    return redacted(pino.stdSerializers.err(err as Error));
  }
  const e = err as Error & { code: string; cozeCode?: number; logId?: string };
  const cause = e.cause;
  return {
    type: 'GatewayError',
    code: e.code,
    message: redactSecrets(e.message),
    ...(e.cozeCode === undefined ? {} : { cozeCode: e.cozeCode }),
    ...(e.logId === undefined ? {} : { cozeLogId: e.logId }),
    ...(cause === undefined
      ? {}
      : e.code === 'GW_INTERNAL' && cause instanceof Error
        ? { cause: redacted(pino.stdSerializers.err(cause)) }
        : { cause: redactSecrets(cause instanceof Error ? cause.message : String(cause)) }),
  };
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      serializers: { err: serializeError },
      base: { service: 'coze-gateway' },
      redact: { paths: REDACT, censor: '[redacted]' },
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
    // Written synchronously: pino's default (asynchronous, flushed at exit) loops forever in its
    // exit flush when stdout is a pipe whose reader went away, so the process could never exit.
    // A synchronous write fails at once with EPIPE, after which pino drops the log.
    (destination as pino.DestinationStream | undefined) ?? pino.destination({ dest: 1, sync: true }),
  );
}
