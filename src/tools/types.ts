/** Who asks for a tool: the verified user, never anything the browser claims. */
export interface ToolContext {
  appId: string;
  userId: string;
  userKind: 'user' | 'visitor';
  turnId: string;
  conversationId: string;
}

export type ToolOutcome = 'ok' | 'error' | 'timeout' | 'unknown_tool';

export interface ToolResult {
  /** What Coze gets as the tool output: the tool's answer, or `{"error": …}` the bot can explain. */
  output: string;
  outcome: ToolOutcome;
  ms: number;
}

export const errorOutput = (message: string) => JSON.stringify({ error: message });
