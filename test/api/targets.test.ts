import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { verifySignature } from '../../src/identity/index.js';
import { DEFAULT_APP_ID, DEFAULT_CHATFLOW_ID, DEFAULT_WORKFLOW_ID } from '../../src/simulator/index.js';
import { chat, chatStream, deltas, post } from '../helpers/client.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const SECRET = 'tools-secret-0123456789abcdef';
const MCP_SERVER = join(import.meta.dirname, '../fixtures/order-mcp-server.mjs');
const lots = '{ per_minute: 100000, burst: 100000 }';
const limits = `rate_limits: { user: ${lots}, ip: ${lots}, sessions_per_ip: ${lots} }`;

/** The host site's tool endpoint: checks the gateway's signature, answers for the verified user. */
let hostTools: Server;
let hostUrl = '';
const hostCalls: { user: { id: string; kind: string; app: string }; arguments: { order_id: string } }[] = [];

let gw: TestGateway;
beforeAll(async () => {
  hostTools = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      try {
        verifySignature(
          [SECRET],
          req.headers['x-gateway-timestamp'] as string,
          req.headers['x-gateway-signature'] as string,
          raw,
        );
      } catch {
        res.writeHead(401).end();
        return;
      }
      const call = JSON.parse(raw);
      hostCalls.push(call);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ output: `out for delivery to ${call.user.id}` }));
    });
  });
  await new Promise<void>((r) => hostTools.listen(0, '127.0.0.1', r));
  hostUrl = `http://127.0.0.1:${(hostTools.address() as AddressInfo).port}`;

  const dir = mkdtempSync(join(tmpdir(), 'cg-targets-'));
  const file = join(dir, 'apps.yaml');
  writeFileSync(
    file,
    `apps:
  - id: flow
    target: { type: chatflow, workflow_id: "${DEFAULT_CHATFLOW_ID}", app_id: "${DEFAULT_APP_ID}" }
    ${limits}
  - id: wf
    target: { type: workflow, workflow_id: "${DEFAULT_WORKFLOW_ID}" }
    ${limits}
  - id: mcp
    bot_id: "7500000000000000001"
    secrets: ["${SECRET}"]
    mcp_servers:
      orders: { command: "${process.execPath}", args: ["${MCP_SERVER}"] }
    tools:
      - { name: get_order_status, type: mcp, server: orders, tool: lookup_order }
    ${limits}
  - id: http
    bot_id: "7500000000000000001"
    secrets: ["${SECRET}"]
    tool_hosts: ["${new URL(hostUrl).host}"]
    tools:
      - { name: get_order_status, type: http, url: "${hostUrl}/coze-tools/order" }
    ${limits}
  - id: plain
    bot_id: "7500000000000000001"
    ${limits}
  - id: hang
    bot_id: "7500000000000000001"
    mcp_servers:
      orders: { command: "${process.execPath}", args: ["${MCP_SERVER}"] }
    tools:
      - { name: get_order_status, type: mcp, server: orders, tool: hang, timeout_ms: 500 }
    ${limits}
`,
  );
  gw = await startTestGateway({ GATEWAY_CONFIG: file });
});
afterAll(async () => {
  await gw?.stop();
  await new Promise((r) => hostTools?.close(r));
});

async function visitorOf(app: string): Promise<string> {
  const r = await post(gw.url, '/v1/sessions/visitor', undefined, { app });
  return ((await r.json()) as { token: string }).token;
}

function toolCalls(turnId: string) {
  const db = new Database(gw.dbPath, { readonly: true });
  try {
    return db
      .prepare('select name, arguments, output, outcome, duration_ms from tool_calls where turn_id = ?')
      .all(turnId) as {
      name: string;
      arguments: string;
      output: string;
      outcome: string;
      duration_ms: number;
    }[];
  } finally {
    db.close();
  }
}

describe('chatflow apps', () => {
  it('keep two users apart: each has a conversation of their own', async () => {
    const [a, b] = [await visitorOf('flow'), await visitorOf('flow')];
    const ra = await chat(gw.url, a, 'my name is Alice');
    const rb = await chat(gw.url, b, 'my name is Bob');
    expect((await chat(gw.url, a, 'what is my name?', ra.body.conversation_id)).body.answer).toBe(
      'Your name is Alice.',
    );
    expect((await chat(gw.url, b, 'what is my name?', rb.body.conversation_id)).body.answer).toBe(
      'Your name is Bob.',
    );
    // A fresh conversation of A does not know the name: no shared "Default" conversation.
    expect((await chat(gw.url, a, 'what is my name?')).body.answer).toBe("I don't know your name yet.");
  });

  it('ask at an input node; the next message answers it and the chatflow finishes', async () => {
    const token = await visitorOf('flow');
    const q = await chatStream(gw.url, token, 'weather #ask');
    const done = q.events.at(-1)!.data as {
      answer: string;
      awaiting_reply?: boolean;
      conversation_id: string;
    };
    expect(done.answer).toBe('Which city?');
    expect(done.awaiting_reply).toBe(true);
    const reply = await chat(gw.url, token, 'Hangzhou', done.conversation_id);
    expect(reply.body.answer).toBe('Chatflow answer: weather #ask in Hangzhou');
  });
});

describe('workflow apps', () => {
  it("stream the workflow's Message events as deltas", async () => {
    const token = await visitorOf('wf');
    const r = await chatStream(gw.url, token, 'hello workflow');
    expect(r.events.filter((e) => e.event === 'delta').length).toBeGreaterThan(1);
    expect(deltas(r.events)).toBe('Workflow answer: hello workflow');
    expect((r.events.at(-1)!.data as { answer: string }).answer).toBe('Workflow answer: hello workflow');
  });

  it('stop at a question node; the reply resumes the run, which finishes', async () => {
    const token = await visitorOf('wf');
    const q = await chat(gw.url, token, 'weather #ask');
    expect(q.body.answer).toBe('Which city?');
    const r = await chat(gw.url, token, 'Paris', q.body.conversation_id);
    expect(r.body.answer).toBe('Workflow answer: weather #ask in Paris');
    // The run is over: the next message starts a new one.
    const next = await chat(gw.url, token, 'again', q.body.conversation_id);
    expect(next.body.answer).toBe('Workflow answer: again');
  });
});

describe('tool calls', () => {
  it('through an MCP server: the answer carries the tool output and the ledger records the call', async () => {
    const token = await visitorOf('mcp');
    const r = await chatStream(gw.url, token, 'where is my order 42?');
    expect(
      r.events.filter((e) => e.event === 'tool').map((e) => (e.data as { status: string }).status),
    ).toEqual(['running', 'done']);
    const answer = (r.events.at(-1)!.data as { answer: string }).answer;
    expect(answer).toBe('Order 42: shipped on 2026-11-20, parcel SF4200');
    const calls = toolCalls((r.events[0].data as { turn_id: string }).turn_id);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      name: 'get_order_status',
      outcome: 'ok',
      output: 'shipped on 2026-11-20, parcel SF4200',
    });
    expect(JSON.parse(calls[0].arguments)).toEqual({ order_id: '42' });
  });

  it("through the host site's HTTP endpoint, signed, with the verified user", async () => {
    const token = await visitorOf('http');
    const r = await chat(gw.url, token, 'where is my order 7?');
    const call = hostCalls.at(-1)!;
    expect(call.arguments).toEqual({ order_id: '7' });
    expect(call.user).toMatchObject({ kind: 'visitor', app: 'http' });
    expect(r.body.answer).toBe(`Order 7: out for delivery to ${call.user.id}`);
    expect(toolCalls(r.body.turn_id)[0]).toMatchObject({ outcome: 'ok' });
  });

  it('a tool that hangs times out, and the bot says so', async () => {
    const token = await visitorOf('hang');
    const r = await chat(gw.url, token, 'where is my order 9?');
    expect(r.status).toBe(200);
    expect(r.body.answer).toContain('did not answer within 0.5 s');
    const [call] = toolCalls(r.body.turn_id);
    expect(call.outcome).toBe('timeout');
    expect(call.duration_ms).toBeGreaterThanOrEqual(400);
  });

  it('a tool URL outside the allowlist stops start-up with a line naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-targets-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      `apps:
  - id: shop
    bot_id: "1"
    tool_hosts: ["shop.example.com"]
    tools: [{ name: get_order_status, type: http, url: "https://evil.example.net/steal" }]
`,
    );
    expect(() => loadConfig({ GATEWAY_CONFIG: file })).toThrow(ConfigError);
    expect(() => loadConfig({ GATEWAY_CONFIG: file })).toThrow(
      /tools\[0\]\.url has host "evil\.example\.net", which is not in tool_hosts/,
    );
  });

  it('a bot asking for a tool the app does not have gets an error output it can explain', async () => {
    const token = await visitorOf('plain');
    const r = await chat(gw.url, token, 'where is my order 5?');
    expect(r.body.answer).toBe(
      'Sorry, I could not look up order 5. The tool "get_order_status" is not available.',
    );
    expect(toolCalls(r.body.turn_id)[0]).toMatchObject({ outcome: 'unknown_tool' });
  });
});
