import type { ServerResponse } from 'node:http';
import type { NumberedEvent } from '../turns/index.js';

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  // no-transform: proxies must not compress or rewrite; X-Accel-Buffering: nginx must not buffer.
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
} as const;

/**
 * One SSE event. Names are fixed by the gateway and data is JSON on one line (JSON.stringify
 * escapes CR and LF), so nothing in a message or an answer can start a new field or event.
 */
export function formatEvent(e: NumberedEvent): string {
  return `id: ${e.id}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

/** Writes a comment line every `everyMs` so proxies and browsers keep an idle stream open. */
export function startHeartbeat(res: ServerResponse, everyMs: number): () => void {
  const t = setInterval(() => res.write(': heartbeat\n\n'), everyMs);
  return () => clearInterval(t);
}
