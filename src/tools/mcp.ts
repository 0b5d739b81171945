import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { McpServerConfig } from '../config/index.js';

/** MCP clients, one per configured server, connected on first use and kept for the process. */
export class McpClients {
  private readonly clients = new Map<string, Promise<Client>>();

  /** Calls `tool` on the server with the arguments; returns its text content. */
  async call(
    key: string,
    server: McpServerConfig,
    tool: string,
    args: Record<string, unknown>,
    timeoutMs: number,
  ) {
    const client = await this.client(key, server);
    const result = await client.callTool({ name: tool, arguments: args }, undefined, { timeout: timeoutMs });
    const text = ((result.content ?? []) as { type: string; text?: string }[])
      .filter((c) => c.type === 'text' && typeof c.text === 'string')
      .map((c) => c.text)
      .join('\n');
    const output = text || JSON.stringify(result.structuredContent ?? result.content ?? null);
    return { output, isError: result.isError === true };
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map((p) => p.then((c) => c.close()).catch(() => {})));
  }

  private client(key: string, server: McpServerConfig): Promise<Client> {
    let c = this.clients.get(key);
    if (!c) {
      c = connect(server);
      // A server that could not be reached is tried again on the next call.
      c.catch(() => this.clients.delete(key));
      this.clients.set(key, c);
    }
    return c;
  }
}

/** The MCP SDK is loaded when a tool first needs it (it costs about 240 ms at start). */
async function connect(server: McpServerConfig): Promise<Client> {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { getDefaultEnvironment, StdioClientTransport } = await import(
    '@modelcontextprotocol/sdk/client/stdio.js'
  );
  const { StreamableHTTPClientTransport } = await import(
    '@modelcontextprotocol/sdk/client/streamableHttp.js'
  );
  const client = new Client({ name: 'coze-gateway', version: '0.1.0' });
  const transport =
    server.type === 'stdio'
      ? new StdioClientTransport({
          command: server.command,
          args: server.args,
          env: { ...getDefaultEnvironment(), ...server.env },
          cwd: server.cwd,
          stderr: 'ignore',
        })
      : new StreamableHTTPClientTransport(new URL(server.url));
  await client.connect(transport);
  return client;
}
