import type { AppConfig } from '../config/index.js';
import type { ChatEvent, CozeClient, WorkflowStream } from '../coze/index.js';
import { GatewayError } from '../errors.js';
import type { Session } from '../identity/index.js';
import { newId } from '../ids.js';
import type { Ledger } from '../ledger/index.js';
import type { Store } from '../state/index.js';
import type { ToolRunner } from '../tools/index.js';
import type { AnswerAccumulator } from './answer.js';
import type { TurnEvent } from './events.js';
import type { RunningTurn } from './running-turn.js';

export interface ConverseContext {
  coze: CozeClient;
  ledger: Ledger;
  store: Store;
  tools: ToolRunner;
  turn: RunningTurn;
  session: Session;
  app: AppConfig;
  message: string;
  acc: AnswerAccumulator;
  push(e: TurnEvent): void;
  /** Opens a stream, retrying what may be retried (see TurnRunner.openChat). */
  open<T>(call: () => Promise<T>): Promise<T>;
}

/** A workflow waiting at a question node for the user's reply, per gateway conversation. */
const interruptKey = (conversationId: string) => `wf-interrupt:${conversationId}`;
const INTERRUPT_TTL_MS = 24 * 3_600_000;

/**
 * Talks to the app's target until Coze is done with this message. Returns the Coze log id of the
 * first response. Bots may ask for tools (run here, answered with submit_tool_outputs); chatflows
 * and workflows may stop at a question, which the user's next message answers.
 */
export async function converse(c: ConverseContext): Promise<string | undefined> {
  const t = c.app.target;
  if (t.type === 'workflow') return converseWorkflow(c, t);
  // Signed business context only: nothing from the browser reaches these fields.
  const context = c.session.context;
  const base = {
    sessionName: c.turn.conversation.cozeUser,
    userId: c.turn.conversation.cozeUser,
    conversationId: c.turn.conversation.cozeConversationId,
    message: c.message,
    signal: c.turn.signal,
  };
  if (t.type === 'chatflow') {
    const stream = await c.open(() =>
      c.coze.streamChatflow({
        ...base,
        workflowId: t.workflowId,
        appId: t.appId,
        botId: t.botId,
        parameters: { ...t.parameters, ...context },
      }),
    );
    await drain(c, stream);
    // An input node asks a question (a reply_message "tool call"): the next message answers it.
    if (c.acc.ending?.kind === 'requires_action') {
      c.acc.ending = { kind: 'completed' };
      c.acc.awaitingReply = true;
    }
    return stream.logId;
  }
  let stream = await c.open(() =>
    c.coze.streamChat({ ...base, botId: t.botId, customVariables: context, metaData: context }),
  );
  const logId = stream.logId;
  for (;;) {
    await drain(c, stream);
    if (c.acc.ending?.kind !== 'requires_action') return logId;
    const calls = c.acc.ending.chat.required_action?.submit_tool_outputs?.tool_calls ?? [];
    c.acc.ending = undefined;
    const outputs = await Promise.all(
      calls.map((call) => runTool(c, call.id, call.function?.name ?? '', call.function?.arguments ?? '')),
    );
    stream = await c.coze.submitToolOutputs({
      sessionName: base.sessionName,
      conversationId: base.conversationId,
      chatId: c.acc.chatId!,
      toolOutputs: outputs,
      signal: c.turn.signal,
    });
  }
}

/** Feeds a chat stream into the accumulator, noting Coze's chat id as soon as it is known. */
async function drain(
  c: ConverseContext,
  stream: AsyncIterable<ChatEvent> & { logId?: string },
): Promise<void> {
  for await (const event of stream) {
    const known = c.acc.chatId;
    c.acc.apply(event);
    // Noted for recovery, without holding up the answer; the turn's end writes it again anyway.
    if (!known && c.acc.chatId)
      void c.ledger.noteCozeChat(c.turn.turnId, c.acc.chatId, stream.logId).catch(() => {});
  }
}

async function runTool(c: ConverseContext, toolCallId: string, name: string, args: string) {
  c.push({ event: 'tool', data: { name, status: 'running' } });
  const r = await c.tools.run(c.app, name, args, {
    appId: c.app.id,
    userId: c.session.userId,
    userKind: c.session.kind,
    turnId: c.turn.turnId,
    conversationId: c.turn.conversation.id,
  });
  await c.ledger.recordToolCall({
    id: newId('tc'),
    turnId: c.turn.turnId,
    appId: c.app.id,
    name,
    arguments: args,
    output: r.output,
    outcome: r.outcome,
    durationMs: r.ms,
  });
  c.push({ event: 'tool', data: { name, status: 'done', outcome: r.outcome } });
  return { toolCallId, output: r.output };
}

/**
 * A workflow run per message (the message goes to the start node's input parameter), or, when the
 * last run stopped at a question, a resume with the message as the reply.
 */
async function converseWorkflow(
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
        c.acc.awaitingReply = true;
        c.acc.ending = { kind: 'completed' };
        break;
      case 'error':
        c.acc.ending = { kind: 'failed', cozeCode: e.code, cozeMsg: e.message };
        break;
      case 'done':
        c.acc.ending ??= { kind: 'completed' };
        break;
      default:
        break;
    }
  }
  if (!c.acc.ending) throw new GatewayError('GW_UPSTREAM_TRUNCATED', { logId: stream.logId });
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
