// SSE item -> typed chat event (coze-protocol.md §3.3 rules 5-6, §3.4, §5.4).
import type { Chat, ChatEvent, ChatEventName, Message, MessageEventName } from './types.js';

const CHAT_EVENTS: ReadonlySet<string> = new Set<ChatEventName>([
  'conversation.chat.created',
  'conversation.chat.in_progress',
  'conversation.chat.completed',
  'conversation.chat.failed',
  'conversation.chat.requires_action',
  'conversation.chat.canceled',
]);

const MESSAGE_EVENTS: ReadonlySet<string> = new Set<MessageEventName>([
  'conversation.message.delta',
  'conversation.message.completed',
  'conversation.audio.delta',
]);

/**
 * An event whose data could not be read; `detail` (may hold user text) is for logs only.
 * `lost`: the data was fine but the event ids show that events were lost before it (§5.2).
 */
export class InvalidEventError extends Error {
  constructor(
    readonly event: string,
    readonly detail: string,
    readonly lost = false,
  ) {
    super(lost ? `SSE events lost before "${event}"` : `invalid data in SSE event "${event}"`);
    this.name = 'InvalidEventError';
  }
}

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function toChatEvent(event: string, data: string): ChatEvent {
  // §3.3 rule 5: `done` carries "[DONE]", [DONE], or (chatflow, §5.4) {"debug_url":…}; workflows say `Done`.
  if (event === 'done' || event === 'Done') return toDone(data);
  // §3.3 rule 6: every other data line must be JSON, even for unknown events.
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch (e) {
    throw new InvalidEventError(event, `not JSON: ${String(e)}`);
  }
  if (CHAT_EVENTS.has(event)) {
    if (!isRecord(json) || typeof json.id !== 'string' || typeof json.status !== 'string') {
      throw new InvalidEventError(event, 'not a chat object');
    }
    return { type: 'chat', event: event as ChatEventName, chat: json as unknown as Chat };
  }
  if (MESSAGE_EVENTS.has(event)) {
    if (!isRecord(json) || typeof json.id !== 'string') throw new InvalidEventError(event, 'not a message');
    if (typeof json.content !== 'string') json.content = '';
    return { type: 'message', event: event as MessageEventName, message: json as unknown as Message };
  }
  if (event === 'error') {
    // §3.4: {"code":<int>,"msg":"…"}; the recorded synthetic fixture sends `{}`.
    const rec = isRecord(json) ? json : {};
    return {
      type: 'error',
      code: typeof rec.code === 'number' ? rec.code : 0,
      msg: typeof rec.msg === 'string' ? rec.msg : '',
    };
  }
  return { type: 'unknown', event, data: json };
}

/** §3.3 rule 5 / §5.2 / §5.4: the data of `done` / `Done`, whatever form it takes. */
export function toDone(data: string): { type: 'done'; debugUrl?: string } {
  try {
    const json: unknown = JSON.parse(data);
    if (isRecord(json) && typeof json.debug_url === 'string')
      return { type: 'done', debugUrl: json.debug_url };
  } catch {
    // `[DONE]` without quotes (docs, Go accepts it)
  }
  return { type: 'done' };
}
