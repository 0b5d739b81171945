export { ToolRunner } from './runner.js';
export type { ToolContext, ToolOutcome, ToolResult } from './types.js';
