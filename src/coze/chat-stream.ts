// A streamed chat (v3 chat, §3.3-3.5) or chatflow (§5.4) as an async iterable of typed events.
import { createEventStream, type StreamReader, type StreamSource } from './event-stream.js';
import { toChatEvent } from './events.js';
import type { ChatEvent, ChatStream } from './types.js';

export type { StreamBody } from './event-stream.js';
export type ChatStreamSource = StreamSource;

const chatReader: StreamReader<ChatEvent> = {
  read: (item) => toChatEvent(item.event, item.data),
  // §3.4 note: the SDKs stop after `error` and `chat.failed`, so ending there is a normal end.
  verdict: (e) =>
    e.type === 'done'
      ? 'last'
      : e.type === 'error' || (e.type === 'chat' && e.event === 'conversation.chat.failed')
        ? 'may-end'
        : 'more',
};

export function createChatStream(src: ChatStreamSource): ChatStream {
  return createEventStream(src, chatReader);
}
