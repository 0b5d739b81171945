// The load client: a process of its own (forked by bench/run.mjs, commands over IPC), so its CPU
// is not the servers'. undici with keep-alive connections; closed-loop virtual users (each sends
// its next turn when the previous one has ended, no think time).
//
// Targets:
//   coze    — the simulator, directly or through nginx: POST /v3/chat?conversation_id=… stream:true,
//             the request the gateway sends per turn (PAT auth, a conversation per user made first)
//   gateway — POST /v1/chat/stream (or /v1/chat) with a visitor session per user, made first, and a
//             conversation per user made by one untimed turn
import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';

const agent = new Agent({
  keepAliveTimeout: 60_000,
  keepAliveMaxTimeout: 600_000,
  connections: null,
  headersTimeout: 120_000,
  bodyTimeout: 0,
  connect: { timeout: 30_000 },
});

/** Users made by `prepare`, by target name: { auth, conversationId }. */
const users = new Map();
/** Streams held open by `open`, by target name. */
const held = new Map();

const BOT_ID = '7500000000000000001';

function request(origin, path, { method = 'POST', headers = {}, body, signal } = {}) {
  return agent.request({
    origin,
    path,
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
}

async function json(origin, path, opts) {
  const res = await request(origin, path, opts);
  const text = await res.body.text();
  if (res.statusCode >= 300)
    throw new Error(`${opts?.method ?? 'POST'} ${path}: ${res.statusCode} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Runs `fn(i)` for i in [0, n) with at most `width` at a time. */
async function pool(n, width, fn) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, n) }, worker));
}

function cozeTurn(t, user, message) {
  return {
    path: `/v3/chat?conversation_id=${user.conversationId}`,
    headers: { authorization: `Bearer ${t.pat}` },
    body: {
      bot_id: BOT_ID,
      user_id: user.userId,
      stream: true,
      auto_save_history: true,
      additional_messages: [{ role: 'user', content: message, content_type: 'text' }],
    },
  };
}

function gatewayTurn(user, message, stream) {
  return {
    path: stream ? '/v1/chat/stream' : '/v1/chat',
    headers: { authorization: `Bearer ${user.token}` },
    body: user.conversationId ? { message, conversation_id: user.conversationId } : { message },
  };
}

/** Sessions (gateway) or conversations (coze) for `n` users, then one untimed turn each (gateway). */
async function prepare({ name, kind, origin, pat, n, message, sessionsOnly }) {
  const list = users.get(name) ?? [];
  const t0 = performance.now();
  const start = list.length;
  await pool(n - start, 32, async (k) => {
    const i = start + k;
    if (kind === 'coze') {
      const userId = `bench:u:${name}:${i}`;
      const env = await json(origin, '/v1/conversation/create', {
        headers: { authorization: `Bearer ${pat}` },
        body: { bot_id: BOT_ID },
      });
      list[i] = { userId, conversationId: env.data.id };
    } else {
      const s = await json(origin, '/v1/sessions/visitor', { body: {} });
      const user = { token: s.token };
      if (!sessionsOnly) {
        const r = await json(origin, '/v1/chat', { ...gatewayTurn(user, message, false) });
        user.conversationId = r.conversation_id;
      }
      list[i] = user;
    }
  });
  users.set(name, list);
  return { users: list.length, ms: performance.now() - t0 };
}

/** Reads an SSE body; calls onEvent(name) per event. Resolves at the body's end. */
async function readSse(body, onEvent) {
  body.setEncoding('utf8');
  let buf = '';
  for await (const chunk of body) {
    buf += chunk;
    let cut = buf.indexOf('\n\n');
    while (cut !== -1) {
      const frame = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      const at = frame.indexOf('event:');
      if (at !== -1) {
        const end = frame.indexOf('\n', at);
        onEvent(frame.slice(at + 6, end === -1 ? undefined : end).trim());
      }
      cut = buf.indexOf('\n\n');
    }
  }
}

const FIRST_DELTA = { coze: 'conversation.message.delta', gateway: 'delta' };
const SUCCESS = { coze: 'conversation.chat.completed', gateway: 'done' };
const FAILURE = new Set(['conversation.chat.failed', 'error']);

/** One turn; resolves { ok, ttfd, total, code }. */
async function oneTurn(t, user, message, stream) {
  const spec = t.kind === 'coze' ? cozeTurn(t, user, message) : gatewayTurn(user, message, stream);
  const t0 = performance.now();
  let ttfd = -1;
  let ok = false;
  let code;
  try {
    const res = await request(t.origin, spec.path, { headers: spec.headers, body: spec.body });
    if (res.statusCode !== 200) {
      const text = await res.body.text();
      code = /"code":"(GW_\w+)"/.exec(text)?.[1] ?? `HTTP ${res.statusCode}`;
      return { ok: false, ttfd, total: performance.now() - t0, code };
    }
    if (t.kind === 'gateway' && !stream) {
      const r = await res.body.json();
      ok = r.status === 'completed';
      code = ok ? undefined : r.status;
    } else {
      await readSse(res.body, (ev) => {
        if (ttfd < 0 && ev === FIRST_DELTA[t.kind]) ttfd = performance.now() - t0;
        else if (ev === SUCCESS[t.kind]) ok = true;
        else if (FAILURE.has(ev)) code = ev;
      });
      if (!ok && !code) code = 'truncated';
    }
  } catch (e) {
    code = e.code ?? e.message;
  }
  return { ok, ttfd, total: performance.now() - t0, code };
}

/**
 * Closed loop: `concurrency` users, each sending turns back to back for `durationMs` after a
 * `warmupMs` whose turns are not counted.
 */
async function loop({
  name,
  kind,
  origin,
  pat,
  concurrency,
  durationMs,
  warmupMs,
  staggerMs = 0,
  message,
  stream,
}) {
  const list = users.get(name);
  if (!list || list.length < concurrency) throw new Error(`prepare ${concurrency} users of ${name} first`);
  const t = { kind, origin, pat };
  const ttfd = [];
  const total = [];
  const errors = {};
  let turns = 0;
  let completed = 0;
  const tStart = performance.now();
  const tMeasure = tStart + warmupMs;
  const tEnd = tMeasure + durationMs;
  // The server's CPU is read when these arrive; `end` is sent at the latest when the loop ends.
  const sent = new Set();
  const mark = (phase) => {
    if (sent.has(phase)) return;
    sent.add(phase);
    process.send({ type: 'window', phase });
  };
  const windowTimers = [
    setTimeout(() => mark('start'), warmupMs),
    setTimeout(() => mark('end'), warmupMs + durationMs),
  ];
  await Promise.all(
    list.slice(0, concurrency).map(async (user, i) => {
      // Users start spread over `staggerMs`, so equal answers do not keep them in lockstep.
      if (staggerMs) await new Promise((r) => setTimeout(r, (i / concurrency) * staggerMs));
      while (performance.now() < tEnd) {
        const began = performance.now();
        const r = await oneTurn(t, user, message, stream);
        const ended = performance.now();
        // Throughput: turns that ended inside the window. Latency: turns that began inside it.
        if (r.ok && ended >= tMeasure && ended <= tEnd) completed++;
        if (began < tMeasure) continue;
        if (r.ok) {
          turns++;
          total.push(r.total);
          if (r.ttfd >= 0) ttfd.push(r.ttfd);
        } else errors[r.code] = (errors[r.code] ?? 0) + 1;
      }
    }),
  );
  for (const timer of windowTimers) clearTimeout(timer);
  mark('start');
  mark('end');
  return { turns: completed, sampled: turns, elapsedMs: durationMs, errors, ttfd, total };
}

/** Opens `n` streams that stay open (the simulator is told to pause deltas) and holds them. */
async function open({ name, origin, n, message, width = 100 }) {
  const list = users.get(name);
  if (!list || list.length < n) throw new Error(`prepare ${n} users of ${name} first`);
  const streams = [];
  held.set(name, streams);
  const errors = {};
  let opened = 0;
  const t0 = performance.now();
  let lastReport = t0;
  await pool(n, width, async (i) => {
    const ac = new AbortController();
    const spec = gatewayTurn(list[i], message, true);
    try {
      const res = await request(origin, spec.path, {
        headers: spec.headers,
        body: spec.body,
        signal: ac.signal,
      });
      if (res.statusCode !== 200) {
        const text = await res.body.text();
        const code = /"code":"(GW_\w+)"/.exec(text)?.[1] ?? `HTTP ${res.statusCode}`;
        errors[code] = (errors[code] ?? 0) + 1;
        return;
      }
      // Open = the gateway has started the turn and sent its `turn` event.
      const gotTurn = new Promise((resolve, reject) => {
        const s = { ac, done: undefined };
        s.done = readSse(res.body, (ev) => {
          if (ev === 'turn') resolve();
        }).then(
          () => reject(new Error('ended early')),
          (e) => reject(e),
        );
        s.done.catch(() => {});
        streams.push(s);
      });
      await gotTurn;
      opened++;
    } catch (e) {
      const code = e.code ?? e.message;
      errors[code] = (errors[code] ?? 0) + 1;
    }
    const now = performance.now();
    if (now - lastReport > 1000) {
      lastReport = now;
      process.send({ type: 'progress', text: `${opened}/${n} streams open` });
    }
  });
  return { opened, errors, ms: performance.now() - t0 };
}

function closeHeld({ name }) {
  const streams = held.get(name) ?? [];
  for (const s of streams) s.ac.abort();
  held.delete(name);
  return { closed: streams.length };
}

/** `n` users at once, each its first message: first delta and full answer times. */
async function storm({ name, origin, n, message }) {
  const list = users.get(name);
  const t = { kind: 'gateway', origin };
  const results = await Promise.all(list.slice(0, n).map((u) => oneTurn(t, u, message, true)));
  const errors = {};
  for (const r of results) if (!r.ok) errors[r.code] = (errors[r.code] ?? 0) + 1;
  const ok = results.filter((r) => r.ok);
  return {
    ok: ok.length,
    errors,
    ttfd: ok.map((r) => r.ttfd).filter((x) => x >= 0),
    total: ok.map((r) => r.total),
  };
}

/** Probes until the first success after `healAtEpochMs` (set later by `heal`). */
let healAt;
async function recover({ name, origin, gapMs, message, timeoutMs }) {
  const user = users.get(name)[0];
  const t = { kind: 'gateway', origin };
  const outcomes = [];
  const deadline = Date.now() + timeoutMs;
  healAt = undefined;
  while (Date.now() < deadline) {
    const r = await oneTurn(t, user, message, false);
    const endedAt = Date.now();
    outcomes.push({ ok: r.ok, code: r.code, endedAt, ms: r.total });
    if (r.ok && healAt !== undefined) break;
    await new Promise((res) => setTimeout(res, gapMs));
  }
  return { outcomes };
}

const commands = {
  prepare,
  loop,
  open,
  close: closeHeld,
  storm,
  recover,
  heal: ({ at }) => {
    healAt = at;
    return {};
  },
  forget: ({ name }) => {
    users.delete(name);
    return {};
  },
};

process.on('message', async (msg) => {
  const { id, cmd, args } = msg;
  try {
    const result = await commands[cmd](args);
    process.send({ type: 'result', id, result });
  } catch (e) {
    process.send({ type: 'result', id, error: e.stack ?? String(e) });
  }
});
process.send({ type: 'ready' });
