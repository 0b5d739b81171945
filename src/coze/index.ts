// Public API of the Coze client: the only code that knows Coze.
export type { ChatParams, ChatRef, CozeClient, CozeClientOptions, PollOptions } from './client.js';
export { createCozeClient } from './client.js';
export type { Timeouts } from './http.js';
export type { JwtAppCredentials } from './jwt.js';
export { validatePrivateKey } from './jwt.js';
export type { CachedToken, TokenCache } from './token-cache.js';
export { createMemoryTokenCache } from './token-cache.js';
export type { TokenProvider, TokenProviderOptions } from './token-provider.js';
export { createTokenProvider } from './token-provider.js';
export type {
  Chat,
  ChatEvent,
  ChatEventName,
  ChatStatus,
  ChatStream,
  ChatUsage,
  Conversation,
  Message,
  MessageEventName,
  MessageType,
  RequiredAction,
  ToolCall,
} from './types.js';
export type {
  WorkflowEvent,
  WorkflowInterrupt,
  WorkflowRunResult,
  WorkflowStream,
  WorkflowUsage,
} from './workflow-types.js';
export type {
  ChatflowParams,
  SyncOptions,
  WorkflowResumeParams,
  WorkflowRunParams,
} from './workflows.js';
