// Workflow and chatflow SSE framings (protocol §5.2, §5.4, §8.3; fixtures py-workflow_run_stream_resp.txt
// and py-workflows_chat_stream_resp.txt):
//   workflow  `id: N\nevent: NAME\ndata: JSON\n\n`, ids from 0 per response, `Done` {"debug_url":…}
//   chatflow  `event: NAME\ndata: JSON\n\n` (space after the colon, no id line), `done` {"debug_url":…}
// JSON is escaped like Go's encoder (`&` → \u0026 …), as the recorded debug_url shows.
import type { Framing } from './sse.js';

/** A fixed fake space id for debug URLs. */
const SPACE_ID = '7400000000000000001';

export function debugUrl(executeId: string, workflowId: string): string {
  return `https://www.coze.cn/work_flow?execute_id=${executeId}&space_id=${SPACE_ID}&workflow_id=${workflowId}`;
}

const GO_ESCAPES: Record<string, string> = {
  '&': '\\u0026',
  '<': '\\u003c',
  '>': '\\u003e',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** JSON.stringify with Go's HTML-safe escaping (those characters only occur inside JSON strings). */
export function goJson(data: unknown): string {
  return JSON.stringify(data).replace(/[&<>\u2028\u2029]/g, (c) => GO_ESCAPES[c] ?? c);
}

/** A new counter per response: a resume restarts at 0. */
export function workflowFraming(url: string): Framing {
  let id = 0;
  const frame = (event: string, data: unknown): string =>
    `id: ${id++}\nevent: ${event}\ndata: ${goJson(data)}\n\n`;
  return { frame, done: () => frame('Done', { debug_url: url }) };
}

export function chatflowFraming(url: string): Framing {
  const frame = (event: string, data: unknown): string => `event: ${event}\ndata: ${goJson(data)}\n\n`;
  return { frame, done: () => frame('done', { debug_url: url }) };
}
