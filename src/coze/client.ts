// The Coze client the gateway uses: conversations, chat v3, workflows and chatflows
// (coze-protocol.md §3, §4.2, §5).
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../errors.js';
import { badResponse, CozeUpstreamError } from './error-map.js';
import { isRecord } from './events.js';
import { DEFAULT_TIMEOUTS, type Envelope, type Timeouts } from './http.js';
import type { TokenProvider } from './token-provider.js';
import { createTransport } from './transport.js';
import type { Chat, ChatStream, Conversation, Message } from './types.js';
import { createWorkflowMethods, type WorkflowMethods } from './workflows.js';

export interface CozeClientOptions {
  baseUrl: string;
  tokens: TokenProvider;
  timeouts?: Partial<Timeouts>;
  /** HTTP/2 only, many calls to a connection (see createAgent). */
  http2?: boolean;
  hooks?: { onResponse?(info: { path: string; status: number; ms: number; logId?: string }): void };
}

export interface ChatParams {
  /** The JWT session_name for this end user. */
  sessionName: string;
  botId: string;
  userId: string;
  conversationId?: string;
  /** The user's text: one additional_messages entry, role user, content_type text. */
  message: string;
  customVariables?: Record<string, string>;
  metaData?: Record<string, string>;
  parameters?: Record<string, unknown>;
}

export interface ChatRef {
  sessionName: string;
  conversationId: string;
  chatId: string;
}

export interface PollOptions {
  intervalMs?: number; // default 1000 (§3.2: poll >= 1 s apart)
  deadlineMs?: number; // default 120000; then the chat is canceled and GW_UPSTREAM_TIMEOUT thrown
  signal?: AbortSignal;
}

export interface CozeClient extends WorkflowMethods {
  createConversation(
    p: { sessionName: string; botId?: string; metaData?: Record<string, string> },
    signal?: AbortSignal,
  ): Promise<{ conversation: Conversation; logId?: string }>;
  retrieveConversation(p: { sessionName: string; conversationId: string }): Promise<Conversation>;
  streamChat(p: ChatParams & { signal?: AbortSignal }): Promise<ChatStream>;
  createChat(p: ChatParams): Promise<{ chat: Chat; logId?: string }>;
  retrieveChat(p: ChatRef): Promise<Chat>;
  listChatMessages(p: ChatRef): Promise<Message[]>;
  createAndPoll(p: ChatParams, o?: PollOptions): Promise<{ chat: Chat; messages: Message[] }>;
  cancelChat(p: ChatRef): Promise<Chat>;
  submitToolOutputs(
    p: ChatRef & { toolOutputs: { toolCallId: string; output: string }[]; signal?: AbortSignal },
  ): Promise<ChatStream>;
}

const RUNNING: ReadonlySet<string> = new Set(['created', 'in_progress']);

export function createCozeClient(opts: CozeClientOptions): CozeClient {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const t = createTransport({
    baseUrl: opts.baseUrl,
    tokens: opts.tokens,
    timeouts,
    http2: opts.http2,
    onResponse: opts.hooks?.onResponse,
  });

  // §3.1 request body.
  const chatBody = (p: ChatParams, stream: boolean) => ({
    bot_id: p.botId,
    user_id: p.userId, // must be a JSON string (§3.1, number -> 4000)
    stream,
    auto_save_history: true, // required for stream:false, retrieve and tool outputs (§3.1, §3.8)
    additional_messages: [{ role: 'user', content: p.message, content_type: 'text' }],
    custom_variables: p.customVariables,
    meta_data: p.metaData,
    parameters: p.parameters,
  });
  const chatQuery = (p: ChatRef) => ({ conversation_id: p.conversationId, chat_id: p.chatId });

  const client: CozeClient = {
    ...createWorkflowMethods(t, timeouts.workflowRunMs),

    async createConversation(p, signal) {
      const env = await t.json({
        sessionName: p.sessionName,
        method: 'POST',
        path: '/v1/conversation/create',
        body: { bot_id: p.botId, meta_data: p.metaData },
        signal,
      });
      return { conversation: conversationOf(env), logId: env.logId };
    },

    async retrieveConversation(p) {
      const env = await t.json({
        sessionName: p.sessionName,
        method: 'GET',
        path: '/v1/conversation/retrieve',
        query: { conversation_id: p.conversationId },
      });
      return conversationOf(env);
    },

    streamChat(p) {
      return t.stream({
        sessionName: p.sessionName,
        method: 'POST',
        path: '/v3/chat',
        query: { conversation_id: p.conversationId },
        body: chatBody(p, true),
        signal: p.signal,
      });
    },

    async createChat(p) {
      const env = await t.json({
        sessionName: p.sessionName,
        method: 'POST',
        path: '/v3/chat',
        query: { conversation_id: p.conversationId },
        body: chatBody(p, false),
      });
      return { chat: chatOf(env), logId: env.logId };
    },

    async retrieveChat(p) {
      // §3.6: the docs say GET (Go uses GET; JS/Python send POST).
      const env = await t.json({
        sessionName: p.sessionName,
        method: 'GET',
        path: '/v3/chat/retrieve',
        query: chatQuery(p),
      });
      return chatOf(env);
    },

    async listChatMessages(p) {
      const env = await t.json({
        sessionName: p.sessionName,
        method: 'GET',
        path: '/v3/chat/message/list',
        query: chatQuery(p),
      });
      // §3.6: a failed chat's list may lack `data` (coze-py #425).
      const data = env.json.data ?? [];
      if (!Array.isArray(data) || !data.every((m) => isRecord(m) && typeof m.id === 'string')) {
        throw badResponse('message list `data` is not a list of messages', env.logId);
      }
      return data as Message[];
    },

    async cancelChat(p) {
      const env = await t.json({
        sessionName: p.sessionName,
        method: 'POST',
        path: '/v3/chat/cancel',
        body: chatQuery(p), // §3.7: ids in the body
      });
      return chatOf(env);
    },

    submitToolOutputs(p) {
      // §3.8 step 2: ids in the query, outputs in the body, `stream:true` continues the same chat as SSE.
      return t.stream({
        sessionName: p.sessionName,
        method: 'POST',
        path: '/v3/chat/submit_tool_outputs',
        query: chatQuery(p),
        body: {
          tool_outputs: p.toolOutputs.map((o) => ({ tool_call_id: o.toolCallId, output: o.output })),
          stream: true,
        },
        signal: p.signal,
      });
    },

    async createAndPoll(p, o = {}) {
      const interval = o.intervalMs ?? 1_000;
      const deadline = performance.now() + (o.deadlineMs ?? 120_000);
      const created = await client.createChat(p);
      let chat = created.chat;
      const ref = { sessionName: p.sessionName, conversationId: chat.conversation_id, chatId: chat.id };
      // §3.2: poll while created/in_progress; completed, failed, requires_action and canceled are terminal.
      while (RUNNING.has(chat.status)) {
        const left = deadline - performance.now();
        if (left <= 0) {
          await client.cancelChat(ref).catch(() => undefined); // 4104 (§1.6): already finished
          throw new GatewayError('GW_UPSTREAM_TIMEOUT', {
            logId: created.logId,
            cause: new CozeUpstreamError(`chat ${chat.id} still ${chat.status} at the polling deadline`),
          });
        }
        await sleep(Math.min(interval, left), undefined, { signal: o.signal });
        chat = await client.retrieveChat(ref);
        o.signal?.throwIfAborted();
      }
      return { chat, messages: await client.listChatMessages(ref) };
    },
  };
  return client;
}

function chatOf(env: Envelope): Chat {
  const data = env.json.data;
  if (!isRecord(data) || typeof data.id !== 'string' || typeof data.status !== 'string') {
    throw badResponse('`data` is not a chat object', env.logId);
  }
  return data as unknown as Chat;
}

function conversationOf(env: Envelope): Conversation {
  const data = env.json.data;
  if (!isRecord(data) || typeof data.id !== 'string')
    throw badResponse('`data` is not a conversation', env.logId);
  return data as unknown as Conversation;
}
