// Reads a `text/event-stream` body: `id:`, `event:`, `data:` lines; a blank line ends an event.
import { networkError } from './errors.js';

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Yields each event that has data; throws a network ChatError when the connection breaks. */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let ev: SseEvent = { data: '' };
  try {
    for (;;) {
      const { value, done } = await reader.read().catch(() => Promise.reject(networkError()));
      if (done) return;
      const lines = (buf + decoder.decode(value, { stream: true })).split(/\r?\n/);
      buf = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '') {
          if (ev.data) yield ev;
          ev = { data: '' };
        }
        const m = /^(id|event|data): ?(.*)$/.exec(line);
        if (m?.[1] === 'data') ev.data += ev.data ? `\n${m[2]}` : m[2];
        else if (m) ev[m[1] as 'id' | 'event'] = m[2];
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
