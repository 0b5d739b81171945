import { signedHeaders } from '../identity/index.js';
import type { ToolContext } from './types.js';

/**
 * Calls a tool on the host site: POST `{tool, arguments, user: {id, kind, app}, turn_id,
 * conversation_id}` signed like POST /v1/sessions (X-Gateway-Timestamp, X-Gateway-Signature over
 * "<timestamp>.<body>" with the app's secret), so the host knows the call comes from the gateway
 * and about which verified user. The answer's `output` (or the whole JSON, or the text) goes to Coze.
 */
export async function callHttpTool(
  url: string,
  secret: string,
  name: string,
  args: unknown,
  ctx: ToolContext,
  signal: AbortSignal,
): Promise<string> {
  const body = JSON.stringify({
    tool: name,
    arguments: args,
    user: { id: ctx.userId, kind: ctx.userKind, app: ctx.appId },
    turn_id: ctx.turnId,
    conversation_id: ctx.conversationId,
  });
  const res = await fetch(url, {
    method: 'POST',
    headers: signedHeaders(secret, body),
    body,
    signal,
    redirect: 'error', // a redirect could leave the allowlisted host
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`the tool endpoint answered HTTP ${res.status}`);
  try {
    const json = JSON.parse(text) as { output?: unknown };
    const out = json && typeof json === 'object' && 'output' in json ? json.output : json;
    return typeof out === 'string' ? out : JSON.stringify(out);
  } catch {
    return text;
  }
}
