import type { AppConfig } from '../config/index.js';
import type { WorkflowStream } from '../coze/index.js';
import { GatewayError } from '../errors.js';
import type { ConverseContext } from './converse.js';

/** A workflow waiting at a question node for the user's reply, per gateway conversation. */
const interruptKey = (conversationId: string) => `wf-interrupt:${conversationId}`;
const INTERRUPT_TTL_MS = 24 * 3_600_000;

/**
 * A workflow run per message (the message goes to the start node's input parameter), or, when the
 * last run stopped at a question, a resume with the message as the reply.
 */
export async function converseWorkflow(
  c: ConverseContext,
  t: Extract<AppConfig['target'], { type: 'workflow' }>,
): Promise<string | undefined> {
  const key = interruptKey(c.turn.conversation.id);
  const pending = await c.store.get(key);
  const sessionName = c.turn.conversation.cozeUser;
  let stream: WorkflowStream;
  if (pending) {
    const { eventId, interruptType } = JSON.parse(pending) as { eventId: string; interruptType: number };
    stream = await c.open(() =>
      c.coze.resumeWorkflow({
        sessionName,
        workflowId: t.workflowId,
        eventId,
        interruptType,
        resumeData: c.message,
        signal: c.turn.signal,
      }),
    );
    await c.store.delete(key);
  } else {
    stream = await c.open(() =>
      c.coze.streamWorkflow({
        sessionName,
        workflowId: t.workflowId,
        appId: t.appId,
        botId: t.botId,
        parameters: { ...t.parameters, ...c.session.context, [t.inputParameter]: c.message },
        ext: { user_id: sessionName },
        signal: c.turn.signal,
      }),
    );
  }
  let streamed = false;
  for await (const e of stream) {
    switch (e.type) {
      case 'message':
        if (e.nodeTitle !== '') {
          // Output and question nodes stream their text.
          streamed = true;
          if (e.content) c.acc.addText(e.content);
        } else if (!streamed) {
          // Only the end node spoke: its content is the outputs as JSON.
          c.acc.addText(outputText(e.content));
        }
        break;
      case 'interrupt':
        await c.store.set(
          key,
          JSON.stringify({ eventId: e.eventId, interruptType: e.interruptType }),
          INTERRUPT_TTL_MS,
        );
        c.acc.askUser();
        break;
      case 'error':
        c.acc.fail(e.code, e.message);
        break;
      case 'done':
        c.acc.finish();
        break;
      default:
        break;
    }
  }
  if (!c.acc.ended) throw new GatewayError('GW_UPSTREAM_TRUNCATED', { logId: stream.logId });
  return stream.logId;
}

/** A workflow's outputs as text: a single string output as it is, anything else as JSON. */
function outputText(content: string): string {
  try {
    const outputs = JSON.parse(content) as unknown;
    if (outputs && typeof outputs === 'object' && !Array.isArray(outputs)) {
      const values = Object.values(outputs);
      if (values.length === 1 && typeof values[0] === 'string') return values[0];
    }
    return typeof outputs === 'string' ? outputs : JSON.stringify(outputs);
  } catch {
    return content;
  }
}
