// Byte stream -> SSE items, for Coze chat/chatflow streams (coze-protocol.md §3.3, §3.5, §8.3).
// Synchronous and push-based so that tests can feed any split of the bytes.
import { createParser } from 'eventsource-parser';

export type SseItem =
  /**
   * `final`: the event was completed only by the end of the body (no trailing blank line, §3.3 rule 4).
   * `id`: the event's own `id:` line, present on workflow streams only (§5.2).
   */
  | { kind: 'event'; event: string; data: string; final: boolean; id?: string }
  /** §3.5: a bare JSON body (legacy error) sent where the stream was due. */
  | { kind: 'bare-json'; body: Record<string, unknown> }
  /** The body held no SSE event and was not JSON either. */
  | { kind: 'garbage'; text: string };

export interface SseDecoder {
  push(bytes: Uint8Array): SseItem[];
  /** Call once when the body has ended. */
  end(): SseItem[];
}

/** How much of a body without any event is kept to recognise a bare JSON body. */
const HEAD_LIMIT = 64 * 1024;

export function createSseDecoder(): SseDecoder {
  // §3.3 rule 3: non-ASCII is raw UTF-8; `stream: true` keeps a character split across chunks intact.
  const decoder = new TextDecoder('utf-8');
  const out: SseItem[] = [];
  let events = 0;
  let head = '';
  let ending = false;
  // eventsource-parser handles §3.3 rule 2 (optional space after the colon) and rule 7 (\n, \r\n, \r);
  // unknown fields (Python would reject them, Go skips them) are ignored.
  const parser = createParser({
    onEvent(m) {
      events++;
      // §8.3: SDKs trim the field value; an event without `event:` gets the SSE default name.
      const event = (m.event ?? 'message').trim();
      out.push({
        kind: 'event',
        event,
        data: m.data,
        final: ending,
        ...(m.id === undefined ? {} : { id: m.id.trim() }),
      });
    },
  });

  function feed(text: string): void {
    if (events === 0 && head.length < HEAD_LIMIT) head += text;
    parser.feed(text);
    // Once an event has come, the body is a stream: the head is never read again, and an idle
    // stream would otherwise keep its first chunk for as long as it stays open.
    if (events > 0) head = '';
  }

  return {
    push(bytes) {
      feed(decoder.decode(bytes, { stream: true }));
      return out.splice(0);
    },
    end() {
      feed(decoder.decode());
      ending = true;
      // §3.3 rule 4: real streams end with a newline, but recorded ones (and the JS SDK's tolerance)
      // show a last event without it: complete any pending line and event.
      parser.feed('\n\n');
      if (events === 0 && head.trim() !== '') out.push(classifyHead(head.trim()));
      return out.splice(0);
    },
  };
}

/** §3.5: `{"code":4100,"msg":"authentication is invalid"}` arriving as the whole "stream". */
function classifyHead(text: string): SseItem {
  if (text.startsWith('{')) {
    try {
      const body: unknown = JSON.parse(text);
      if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
        return { kind: 'bare-json', body: body as Record<string, unknown> };
      }
    } catch {
      // not JSON: garbage
    }
  }
  return { kind: 'garbage', text };
}
