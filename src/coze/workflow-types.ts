// Workflow results and stream events, in the gateway's camelCase (coze-protocol.md §5.1-5.3).
import type { ChatUsage } from './types.js';

/** §5.1 / §5.2 `usage`: the same `*_count` fields as chat usage. */
export type WorkflowUsage = ChatUsage;

/** §5.3 `interrupt_data`: a question (type 2), input (5), local plugin (6) or OAuth plugin (7) node waits. */
export interface WorkflowInterrupt {
  /** `"<execute_id>/<node_event_id>"` (§1.3); pass it back to resume. */
  eventId: string;
  interruptType: number;
  /** A JSON string like `{"content_type":"text","content":"…question…"}`, or "" (§5.3). */
  data: string;
  /** §5.3 `required_parameters`: param name -> spec, when the node asks for parameters. */
  requiredParameters?: Record<string, unknown>;
}

/** One event of `/v1/workflow/stream_run` or `/stream_resume` (§5.2). */
export type WorkflowEvent =
  | {
      type: 'message';
      /** Text of an output/question node, or (end node, `nodeTitle` "" or node type End) JSON of the outputs. */
      content: string;
      nodeTitle: string;
      /** Counter per node, from "0". */
      nodeSeqId: string;
      /** The node's last chunk. */
      nodeIsFinish: boolean;
      nodeType?: string;
      nodeId?: string;
      contentType?: string;
      usage?: WorkflowUsage;
    }
  | { type: 'error'; code: number; message: string; debugUrl?: string }
  | ({ type: 'interrupt'; nodeTitle: string } & WorkflowInterrupt)
  | { type: 'done'; debugUrl?: string }
  | { type: 'ping' }
  | { type: 'unknown'; event: string; data: unknown };

export interface WorkflowStream extends AsyncIterable<WorkflowEvent> {
  readonly logId?: string;
  /** Stops reading: the connection is closed and iteration ends quietly. */
  abort(): void;
}

/** §5.1 sync result of `/v1/workflow/run` and `/v1/workflows/resume` (top-level fields). */
export interface WorkflowRunResult {
  /** `data` as sent: the JSON string of the end node's outputs ("" when the run was interrupted). */
  output: string;
  /** `data` parsed, when it is JSON. */
  outputs?: unknown;
  debugUrl?: string;
  usage?: WorkflowUsage;
  executeId?: string;
  /** The run paused at a question/input node: resume with resumeWorkflowSync or resumeWorkflow. */
  interrupt?: WorkflowInterrupt;
  logId?: string;
}
