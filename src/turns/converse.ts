import type { AppConfig } from '../config/index.js';
import type { ChatEvent, CozeClient } from '../coze/index.js';
import type { Session } from '../identity/index.js';
import { newId } from '../ids.js';
import type { Ledger } from '../ledger/index.js';
import type { Logger } from '../observability/index.js';
import type { Store } from '../state/index.js';
import type { ToolRunner } from '../tools/index.js';
import type { AnswerAccumulator } from './answer.js';
import { LEDGER_NOTES, type RetryClock, retry } from './backoff.js';
import type { TurnEvent } from './events.js';
import type { RunningTurn } from './running-turn.js';
import { toolEvent } from './wire.js';
import { converseWorkflow } from './workflow.js';

/** What talking to the app's target needs. It reports only through `acc` and `publish`. */
export interface ConverseContext {
  coze: CozeClient;
  ledger: Ledger;
  store: Store;
  tools: ToolRunner;
  logger: Logger;
  clock: RetryClock;
  turn: RunningTurn;
  session: Session;
  app: AppConfig;
  message: string;
  acc: AnswerAccumulator;
  publish(e: TurnEvent): void;
  /** Opens a stream, retrying what may be retried (see `openChat` in run.ts). */
  open<T>(call: () => Promise<T>): Promise<T>;
}

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
    if (c.acc.takeToolCalls()) c.acc.askUser();
    return stream.logId;
  }
  let stream = await c.open(() =>
    c.coze.streamChat({ ...base, botId: t.botId, customVariables: context, metaData: context }),
  );
  const logId = stream.logId;
  for (;;) {
    await drain(c, stream);
    const calls = c.acc.takeToolCalls();
    if (!calls) return logId;
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
    if (!known && c.acc.chatId) noteChat(c, c.acc.chatId, stream.logId);
  }
}

/**
 * Notes Coze's chat id for recovery, without holding up the answer (retried; the turn's end
 * writes it again). If it cannot be written, a crash before the end would leave recovery
 * nothing to read Coze by: that is said in the log.
 */
function noteChat(c: ConverseContext, chatId: string, logId: string | undefined): void {
  const { turnId } = c.turn;
  retry(() => c.ledger.noteCozeChat(turnId, chatId, logId), LEDGER_NOTES, c.clock).catch((err) =>
    c.logger.warn(
      { err, turnId, cozeChatId: chatId },
      'could not note the Coze chat id; recovery cannot read this turn from Coze if the process dies before it ends',
    ),
  );
}

async function runTool(c: ConverseContext, toolCallId: string, name: string, args: string) {
  c.publish(toolEvent(name, 'running'));
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
  c.publish(toolEvent(name, 'done', r.outcome));
  return { toolCallId, output: r.output };
}
