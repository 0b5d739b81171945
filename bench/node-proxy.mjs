// The least a Node.js gateway can do: a reverse proxy of the simulator on node:http + undici
// (keep-alive upstream, chunks passed on as they arrive), with no session, ledger or re-encoding.
// The bench's "node proxy" column: what Node itself costs, below anything coze-gateway does.
//   node bench/node-proxy.mjs <upstream url>   -> prints {"url": …} when listening
import { createServer } from 'node:http';
import { Agent, request } from 'undici';

const upstream = process.argv[2];
const agent = new Agent({ keepAliveTimeout: 4_000 });
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const r = await request(upstream + req.url, {
        method: req.method,
        dispatcher: agent,
        headers: {
          authorization: req.headers.authorization ?? '',
          'content-type': req.headers['content-type'] ?? 'application/json',
        },
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      res.writeHead(r.statusCode, { 'content-type': r.headers['content-type'] ?? 'application/json' });
      for await (const c of r.body) res.write(c);
      res.end();
    } catch {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    }
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`);
});
