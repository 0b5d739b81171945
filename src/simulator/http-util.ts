// Plain node:http helpers: the Coze envelope (§1.4), OAuth bodies (§2.6), JSON body reading.
import type { IncomingMessage, ServerResponse } from 'node:http';

const MAX_BODY_BYTES = 1024 * 1024;

/** Sends a JSON body with X-Tt-Logid. */
export function sendJson(res: ServerResponse, status: number, body: unknown, logId: string): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'X-Tt-Logid': logId,
  });
  res.end(text);
}

/** `{code:0,msg:"",data,detail:{logid}}`; `extra` adds top-level siblings (message list paging). */
export function sendOk(
  res: ServerResponse,
  logId: string,
  data: unknown,
  extra: Record<string, unknown> = {},
): void {
  sendJson(res, 200, { code: 0, msg: '', data, ...extra, detail: { logid: logId } }, logId);
}

/**
 * HTTP status per business code (protocol §1.7 policy): 401 for 4100, 403 for 4101, 429 for 4013,
 * otherwise 200 with the code in the body.
 */
export function statusForCode(code: number): number {
  if (code === 4100) return 401;
  if (code === 4101) return 403;
  if (code === 4013) return 429;
  return 200;
}

export function sendError(
  res: ServerResponse,
  logId: string,
  code: number,
  msg: string,
  status?: number,
): void {
  sendJson(res, status ?? statusForCode(code), { code, msg, detail: { logid: logId } }, logId);
}

export const MSG_BAD_PARAM = 'Request parameter error';
export const MSG_BAD_CHAT_REQUEST =
  'The field http body provided is not a valid json or chat request. Please check your input.';
export const MSG_AUTH = 'authentication is invalid';
export const MSG_FORBIDDEN =
  'The token you entered is incorrect. Please double-check and try again. For more information, refer to https://coze.com/docs/developer_guides/authentication';

/** The OAuth error body with all four fields SDKs look at (§2.6). */
export function sendOAuthError(
  res: ServerResponse,
  logId: string,
  status: number,
  error: string,
  message: string,
): void {
  sendJson(
    res,
    status,
    { error, error_code: error, error_message: message, error_description: message },
    logId,
  );
}

export type BodyResult = { ok: true; value: unknown } | { ok: false };

/** Reads the body; empty = `{}` (bodies are optional on several endpoints); bad JSON = not ok. */
export async function readJson(req: IncomingMessage): Promise<BodyResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) return { ok: false };
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string map (meta_data); anything else becomes `{}`. */
export function toMetadata(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(v)) return out;
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}

export function intParam(v: string | null, fallback: number, min: number, max: number): number | null {
  if (v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) return null;
  return n;
}
