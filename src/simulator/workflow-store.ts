// Workflow executions (one per run / stream_run; a resume continues the same execute_id) and the
// run-history wire shape (protocol §5.5).

export type ExecuteStatus = 'Running' | 'Success' | 'Fail';

/** A question node waiting for an answer (§5.3). */
export interface PendingInterrupt {
  /** `<execute_id>/<node event id>`. */
  eventId: string;
  /** 2 = question node. */
  type: number;
  question: string;
  /** Resumes already spent on this question (max 3). */
  resumes: number;
}

export interface Usage {
  input_count: number;
  output_count: number;
  token_count: number;
}

export interface WorkflowRun {
  executeId: string;
  workflowId: string;
  scope: string;
  botId: string;
  connectorId: string;
  connectorUid: string;
  /** 0 sync, 1 stream, 2 async. */
  runMode: 0 | 1 | 2;
  logId: string;
  /** The start node's input (parameters.USER_INPUT or parameters.input). */
  input: string;
  status: ExecuteStatus;
  /** JSON string of the end node's outputs; "" until the run succeeded. */
  output: string;
  errorCode: number;
  errorMessage: string;
  createdAt: number;
  updatedAt: number;
  usage: Usage;
  debugUrl: string;
  interrupt: PendingInterrupt | null;
}

export const MAX_RESUMES = 3;

export function interruptJson(i: PendingInterrupt, data: string): Record<string, unknown> {
  return { data, event_id: i.eventId, type: i.type };
}

/** The sync-run `interrupt_data.data`: the question as `{"content_type":"text","content":…}`. */
export function questionData(i: PendingInterrupt): string {
  return JSON.stringify({ content_type: 'text', content: i.question });
}

export function historyJson(r: WorkflowRun): Record<string, unknown> {
  const out: Record<string, unknown> = {
    execute_id: r.executeId,
    execute_status: r.status,
    bot_id: r.botId || '0',
    connector_id: r.connectorId,
    connector_uid: r.connectorUid,
    run_mode: r.runMode,
    logid: r.logId,
    create_time: r.createdAt,
    update_time: r.updatedAt,
    output: r.output,
    token: String(r.usage.token_count),
    cost: '0.00',
    error_code: r.errorCode === 0 ? '' : String(r.errorCode),
    error_message: r.errorMessage,
    debug_url: r.debugUrl,
    usage: r.usage,
    is_output_trimmed: false,
    node_execute_status: {},
  };
  if (r.interrupt) out.interrupt_data = interruptJson(r.interrupt, questionData(r.interrupt));
  return out;
}

export class WorkflowStore {
  readonly runs = new Map<string, WorkflowRun>();

  add(run: WorkflowRun): void {
    this.runs.set(run.executeId, run);
  }

  get(executeId: string): WorkflowRun | undefined {
    return this.runs.get(executeId);
  }

  /** The run an `event_id` belongs to, when that is its pending question. */
  byEventId(eventId: string): WorkflowRun | undefined {
    const run = this.runs.get(eventId.split('/')[0] ?? '');
    return run?.interrupt?.eventId === eventId ? run : undefined;
  }
}
