import type { AppConfig } from '../config/index.js';
import { callHttpTool } from './http-tool.js';
import { McpClients } from './mcp.js';
import { errorOutput, type ToolContext, type ToolResult } from './types.js';

/**
 * Runs the tools a bot asks for (Coze local plugins), configured per app: an HTTP endpoint of the
 * host site or an MCP server. Whatever happens (unknown tool, failure, timeout) Coze gets an output
 * it can explain to the user, and the caller gets the outcome to record.
 */
export class ToolRunner {
  private readonly mcp = new McpClients();

  async run(app: AppConfig, name: string, argumentsJson: string, ctx: ToolContext): Promise<ToolResult> {
    const started = performance.now();
    const done = (output: string, outcome: ToolResult['outcome']): ToolResult => ({
      output,
      outcome,
      ms: Math.round(performance.now() - started),
    });
    const tool = app.tools.find((t) => t.name === name);
    if (!tool) return done(errorOutput(`The tool "${name}" is not available.`), 'unknown_tool');
    let args: Record<string, unknown> = {};
    try {
      const parsed: unknown = argumentsJson ? JSON.parse(argumentsJson) : {};
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        args = parsed as Record<string, unknown>;
    } catch {
      return done(errorOutput(`The arguments for "${name}" were not valid JSON.`), 'error');
    }
    const signal = AbortSignal.timeout(tool.timeoutMs);
    try {
      if (tool.type === 'http') {
        const secret = app.secrets[0];
        if (!secret)
          return done(errorOutput(`The tool "${name}" is not set up (the app has no secret).`), 'error');
        return done(await callHttpTool(tool.url, secret, name, args, ctx, signal), 'ok');
      }
      const result = await withTimeout(
        this.mcp.call(
          `${app.id}/${tool.server}`,
          app.mcpServers[tool.server],
          tool.tool,
          args,
          tool.timeoutMs,
        ),
        signal,
      );
      return done(
        result.isError ? errorOutput(result.output) : result.output,
        result.isError ? 'error' : 'ok',
      );
    } catch (e) {
      if (signal.aborted) {
        return done(
          errorOutput(`The tool "${name}" did not answer within ${tool.timeoutMs / 1000} s.`),
          'timeout',
        );
      }
      return done(errorOutput(`The tool "${name}" failed: ${(e as Error).message}`), 'error');
    }
  }

  close(): Promise<void> {
    return this.mcp.close();
  }
}

function withTimeout<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
