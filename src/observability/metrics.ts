import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** The gateway's metrics, on a registry of their own (several gateways may share a test process). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    turns: new Counter({
      name: 'gateway_turns_total',
      help: 'Turns by app and terminal status',
      labelNames: ['app', 'status'],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'gateway_errors_total',
      help: 'Errors answered to clients, by GW_* code',
      labelNames: ['code'],
      registers: [registry],
    }),
    turnSeconds: new Histogram({
      name: 'gateway_turn_duration_seconds',
      help: 'Time from the question to the terminal status',
      labelNames: ['app'],
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60],
      registers: [registry],
    }),
    firstTokenSeconds: new Histogram({
      name: 'gateway_time_to_first_token_seconds',
      help: 'Time from the question to the first answer delta',
      labelNames: ['app'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers: [registry],
    }),
    tokenExchanges: new Counter({
      name: 'coze_token_exchanges_total',
      help: 'OAuth JWT token exchanges made with Coze',
      registers: [registry],
    }),
    patFallbacks: new Counter({
      name: 'coze_pat_fallbacks_total',
      help: 'Times the personal access token was used because the OAuth exchange failed',
      registers: [registry],
    }),
    cozeResponses: new Counter({
      name: 'coze_responses_total',
      help: 'HTTP responses from Coze by path and status',
      labelNames: ['path', 'status'],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
