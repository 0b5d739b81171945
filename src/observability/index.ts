export { createLogger, type Logger } from './logger.js';
export { createMetrics, type Metrics } from './metrics.js';
export { MIN_SECRET_CHARS, passwordOf, redactSecrets } from './redact.js';
