// SSE item -> typed workflow event (coze-protocol.md §5.2 events, §5.3 interrupt data).
import { createEventStream, type StreamReader, type StreamSource } from './event-stream.js';
import { InvalidEventError, isRecord, toDone } from './events.js';
import type { WorkflowEvent, WorkflowInterrupt, WorkflowStream, WorkflowUsage } from './workflow-types.js';

const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
const num = (x: unknown): number | undefined => (typeof x === 'number' ? x : undefined);

/** §5.2: event names are `Message|Error|Done|Interrupt|PING`; matched case-insensitively. */
export function toWorkflowEvent(event: string, data: string): WorkflowEvent {
  const name = event.toLowerCase();
  // §5.2 PING: observed `{"content":"{}"}`, documented as empty; its data is not needed.
  if (name === 'ping') return { type: 'ping' };
  // §5.2 Done: `{}` or `{"debug_url":…}`.
  if (name === 'done') return toDone(data);
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch (e) {
    throw new InvalidEventError(event, `not JSON: ${String(e)}`);
  }
  if (name === 'message') return toMessage(event, json);
  if (name === 'error') {
    // §5.2 Error: `{error_code, error_message}` (+ debug_url in coze-studio); `{code,msg}` tolerated.
    const rec = isRecord(json) ? json : {};
    const debugUrl = str(rec.debug_url);
    return {
      type: 'error',
      code: num(rec.error_code) ?? num(rec.code) ?? 0,
      message: str(rec.error_message) ?? str(rec.msg) ?? '',
      ...(debugUrl ? { debugUrl } : {}),
    };
  }
  if (name === 'interrupt') {
    // §5.2 Interrupt: `{interrupt_data:{event_id,type,data,required_parameters?}, node_title}`.
    const interrupt = isRecord(json) ? toInterrupt(json.interrupt_data) : undefined;
    if (!isRecord(json) || !interrupt) throw new InvalidEventError(event, 'no interrupt_data');
    return { type: 'interrupt', nodeTitle: str(json.node_title) ?? '', ...interrupt };
  }
  return { type: 'unknown', event, data: json };
}

type MessageEvent = Extract<WorkflowEvent, { type: 'message' }>;

function toMessage(event: string, json: unknown): MessageEvent {
  if (!isRecord(json)) throw new InvalidEventError(event, 'not a message');
  const seq = json.node_seq_id;
  const m: MessageEvent = {
    type: 'message',
    content: str(json.content) ?? '',
    nodeTitle: str(json.node_title) ?? '',
    nodeSeqId: typeof seq === 'number' ? String(seq) : (str(seq) ?? ''),
    nodeIsFinish: json.node_is_finish === true,
  };
  const nodeType = str(json.node_type);
  const nodeId = str(json.node_id);
  const contentType = str(json.content_type);
  const usage = toUsage(json.usage);
  if (nodeType !== undefined) m.nodeType = nodeType;
  if (nodeId !== undefined) m.nodeId = nodeId;
  if (contentType !== undefined) m.contentType = contentType;
  if (usage !== undefined) m.usage = usage;
  return m;
}

/** §5.3 `interrupt_data`; also the top-level field of a sync run (§5.1). */
export function toInterrupt(x: unknown): WorkflowInterrupt | undefined {
  if (!isRecord(x)) return undefined;
  const eventId = str(x.event_id);
  const interruptType = num(x.type);
  if (eventId === undefined || interruptType === undefined) return undefined;
  const data = x.data === undefined || x.data === null ? '' : (str(x.data) ?? JSON.stringify(x.data));
  const out: WorkflowInterrupt = { eventId, interruptType, data };
  if (isRecord(x.required_parameters)) out.requiredParameters = x.required_parameters;
  return out;
}

export function toUsage(x: unknown): WorkflowUsage | undefined {
  if (!isRecord(x)) return undefined;
  return {
    input_count: num(x.input_count) ?? 0,
    output_count: num(x.output_count) ?? 0,
    token_count: num(x.token_count) ?? 0,
  };
}

/**
 * A reader for one workflow stream. §5.2: ids count from 0 per response (again from 0 after a
 * resume); a gap means lost events, read as a bad response. `Error` and `Interrupt` end the stream
 * (no `Done` follows them), so the body may end any time after one of them.
 */
export function createWorkflowReader(): StreamReader<WorkflowEvent> {
  let next = 0;
  let ended = false;
  return {
    read(item) {
      if (item.id !== undefined && /^\d+$/.test(item.id)) {
        const id = Number(item.id);
        if (id !== next) {
          throw new InvalidEventError(item.event, `event id ${id} where ${next} was due`, true);
        }
        next = id + 1;
      }
      return toWorkflowEvent(item.event, item.data);
    },
    verdict(e) {
      if (e.type === 'done') return 'last';
      if (e.type === 'error' || e.type === 'interrupt') ended = true;
      return ended ? 'may-end' : 'more';
    },
  };
}

export function createWorkflowStream(src: StreamSource): WorkflowStream {
  return createEventStream(src, createWorkflowReader());
}
