export { ToolRunner } from './tool-calls.js';
export type { ToolContext, ToolOutcome, ToolResult } from './types.js';
