// The deterministic default bot: name memory, an order-status tool call, markdown, long answers, echo.

export interface BotMemory {
  name?: string;
}

export type BotReply =
  | { kind: 'answer'; text: string; zh: boolean; rememberName?: string }
  | { kind: 'tool'; orderId: string };

const ASK_NAME_EN = /\bwhat(?:'s|s| is)\s+my\s+name\b/i;
const ASK_NAME_ZH = /我叫什么|我的名字是什么|我叫啥/;
const TELL_NAME_EN = /\b(?:my\s+name\s+is|i\s+am|i'm)\s+([^.,!?;。，！？]+)/i;
const TELL_NAME_ZH = /(?:我的名字是|我叫)\s*([^.,!?;。，！？\s]+)/;
const ORDER = /\bwhere\s+is\s+my\s+order\s*#?\s*(\d+)/i;
const LONG = /#long\s+(\d+)/i;

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];

export const MARKDOWN_ANSWER = [
  'Here is some **bold text** and a list:',
  '',
  '- the first item',
  '- an item with a `code span`',
  '- a link to [Coze](https://www.coze.com)',
].join('\n');

/** A name statement in `text`, if any (used for replies and for context messages). */
export function nameIn(text: string): { name: string; zh: boolean } | null {
  if (ASK_NAME_EN.test(text) || ASK_NAME_ZH.test(text)) return null;
  const zh = TELL_NAME_ZH.exec(text);
  const zhName = zh?.[1]?.replace(/#\w+/g, '').trim();
  if (zhName) return { name: zhName, zh: true };
  const en = TELL_NAME_EN.exec(text);
  const name = en?.[1]?.replace(/#\w+/g, '').trim();
  return name ? { name, zh: false } : null;
}

export function longAnswer(words: number): string {
  const n = Math.min(Math.max(words, 1), 100_000);
  return Array.from({ length: n }, (_, i) => WORDS[i % WORDS.length]).join(' ');
}

/** The name-memory part of the bot ("my name is X" / "what is my name?"), also used by chatflows. */
export function nameReply(text: string, memory: BotMemory): BotReply | null {
  if (ASK_NAME_ZH.test(text)) {
    return { kind: 'answer', zh: true, text: memory.name ? `你叫${memory.name}。` : '我还不知道你的名字。' };
  }
  if (ASK_NAME_EN.test(text)) {
    const answer = memory.name ? `Your name is ${memory.name}.` : "I don't know your name yet.";
    return { kind: 'answer', zh: false, text: answer };
  }
  const told = nameIn(text);
  if (told) {
    const answer = told.zh ? `你好，${told.name}！` : `Nice to meet you, ${told.name}!`;
    return { kind: 'answer', zh: told.zh, text: answer, rememberName: told.name };
  }
  return null;
}

/**
 * `variables` are the chat's `custom_variables`, which a real bot's prompt reads as `{{name}}`:
 * `#vars` answers with them, so tests can see what reached the bot.
 */
export function reply(text: string, memory: BotMemory, variables: Record<string, string> = {}): BotReply {
  const order = ORDER.exec(text);
  if (order?.[1]) return { kind: 'tool', orderId: order[1] };
  const named = nameReply(text, memory);
  if (named) return named;
  if (/#markdown/i.test(text)) return { kind: 'answer', zh: false, text: MARKDOWN_ANSWER };
  if (/#vars/i.test(text)) {
    const listed = Object.keys(variables)
      .sort()
      .map((k) => `${k}=${variables[k]}`);
    return { kind: 'answer', zh: false, text: `Variables: ${listed.join(', ') || '(none)'}` };
  }
  const long = LONG.exec(text);
  if (long?.[1]) return { kind: 'answer', zh: false, text: longAnswer(Number(long[1])) };
  return { kind: 'answer', zh: false, text: `You said: ${text}` };
}

/**
 * The answer after `get_order_status` returned `output`. A tool's failure comes back as
 * `{"error":"…"}`; a bot explains it in words, as a real one would, instead of quoting the JSON.
 */
export function toolAnswer(orderId: string, output: string): string {
  let error: unknown;
  try {
    error = (JSON.parse(output) as { error?: unknown } | null)?.error;
  } catch {
    // not JSON: the output as it is
  }
  if (typeof error === 'string') return `Sorry, I could not look up order ${orderId}. ${error}`;
  return `Order ${orderId}: ${output}`;
}

export function followUps(zh: boolean): [string, string] {
  return zh ? ['你还能做什么？', '能再说详细一点吗？'] : ['What else can you do?', 'Can you tell me more?'];
}

/** Splits text into pieces of `size` characters (code points, so no surrogate pair is split). */
export function chunkText(text: string, size: number): string[] {
  const chars = Array.from(text);
  const n = Math.max(1, Math.floor(size));
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += n) out.push(chars.slice(i, i + n).join(''));
  return out.length ? out : [''];
}
