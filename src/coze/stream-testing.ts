// Helpers for the stream tests (imported by *.test.ts only).
import type { ChatEvent } from './types.js';

/** Every event of a stream, and the error that ended it, if any. */
export async function drain<E>(stream: AsyncIterable<E>): Promise<{ events: E[]; error?: unknown }> {
  const events: E[] = [];
  try {
    for await (const e of stream) events.push(e);
    return { events };
  } catch (error) {
    return { events, error };
  }
}

/** The answer text the deltas of a chat stream add up to. */
export const answerText = (events: ChatEvent[]) =>
  events
    .map((e) => (e.type === 'message' && e.event === 'conversation.message.delta' ? e.message.content : ''))
    .join('');
