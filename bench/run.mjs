// npm run bench [-- --quick] [-- --profile] [-- --only=stream,sync,open,cold,storm,recovery]
// Measures direct (simulator), nginx (pure proxy of the simulator) and coze-gateway (SQLite ledger;
// PostgreSQL ledger + Redis state) in one run on loopback, and writes bench/results/latest.{md,json}
// and latency.svg. See bench/README.md.
import { execFileSync, fork, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'esbuild';
import { serverBuildOptions } from '../scripts/build-options.mjs';
import {
  Backends,
  BOT_ID,
  BUILD,
  cpuSeconds,
  ensureDir,
  MAIN,
  NGINX,
  PAT,
  ROOT,
  rssBytes,
  startGateway,
  startNginx,
  startNodeProxy,
  startSimulator,
} from './lib/procs.mjs';
import { renderMarkdown, renderSvg, summarize } from './lib/report.mjs';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const PROFILE = argv.includes('--profile');
const ONLY = argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const want = (s) => !ONLY || ONLY.includes(s);
const TARGETS = argv
  .find((a) => a.startsWith('--targets='))
  ?.slice(10)
  .split(',') ?? ['direct', 'nginx', 'node', 'sqlite', 'postgres'];

/** The fixed workload. A turn's answer is `#long 20` (20 words, ~125 characters) in 16-char deltas. */
const CFG = {
  quick: QUICK,
  message: '#long 20',
  deltaDelayMs: 1,
  chunkChars: 16,
  levels:
    argv
      .find((a) => a.startsWith('--levels='))
      ?.slice(9)
      .split(',')
      .map(Number) ?? (QUICK ? [10, 100] : [1, 10, 50, 100, 200]),
  syncConcurrency: 100,
  pacedConcurrency: 100,
  pacedDeltaDelayMs: 30,
  // ~620 characters: 39 deltas, ~1.2 s per answer at Coze's pace.
  pacedMessage: '#long 100',
  pacedStaggerMs: 1200,
  durationMs: QUICK ? 2500 : 8000,
  warmupMs: QUICK ? 800 : 2000,
  // Open streams, and how the gateway talks to Coze: HTTP/1.1 (the default: a socket per stream
  // on each side) or HTTP/2 (COZE_HTTP2: up to 100 streams per Coze connection).
  // --open=10000h2,1000: other open-stream rows (a count, `h2` for COZE_HTTP2).
  openRuns:
    argv
      .find((a) => a.startsWith('--open='))
      ?.slice(7)
      .split(',')
      .map((x) => ({ n: Number.parseInt(x, 10), http2: x.endsWith('h2') })) ??
    (QUICK
      ? [{ n: 1000, http2: false }]
      : [
          { n: 1000, http2: false },
          { n: 5000, http2: false },
          { n: 10000, http2: false },
          { n: 10000, http2: true },
        ]),
  openLedgers: (QUICK ? ['sqlite'] : ['sqlite', 'postgres']).filter((l) => TARGETS.includes(l)),
  // Idle streams: the simulator sends chat.created/in_progress, then waits this long per delta.
  openDeltaDelayMs: 120_000,
  coldRuns: QUICK ? 3 : 5,
  stormUsers: 100,
  recoveryRuns: QUICK ? 1 : 3,
  breaker: { threshold: 3, cooldownMs: 2000 },
};

const RATE = '1000000/1000000'; // the most a rule may say (RATE_LIMIT_* are checked up to 1,000,000 a minute)
const t0 = performance.now();
const log = (s) =>
  process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${s}\n`);

function fdLimit() {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  } catch {
    return 1024;
  }
}

async function machine() {
  const c = cpus();
  return {
    date: new Date().toISOString(),
    nproc: c.length,
    cpu: c[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    nginx: existsSync(NGINX) ? spawnSync(NGINX, ['-v'], { encoding: 'utf8' }).stderr.trim() : null,
    fdLimit: fdLimit(),
    loadAverageAtStart: (await import('node:os')).loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** The load client process, with request/response over IPC. */
function startLoad() {
  const child = fork(join(ROOT, 'bench/load.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let next = 0;
  const waiting = new Map();
  const listeners = new Set();
  const ready = new Promise((r) => child.once('message', r));
  child.on('message', (m) => {
    if (m.type === 'result') {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.error) w.reject(new Error(m.error));
      else w.resolve(m.result);
    } else if (m.type === 'progress') log(`  ${m.text}`);
    else for (const l of listeners) l(m);
  });
  return {
    ready,
    pid: child.pid,
    call(cmd, args) {
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        child.send({ id, cmd, args });
      });
    },
    onMessage: (l) => listeners.add(l),
    offMessage: (l) => listeners.delete(l),
    stop: () => child.kill('SIGKILL'),
  };
}

async function buildAll() {
  log(
    'building the gateway (bench/.build/cli/main.js, as scripts/build.mjs does) and bench/.build/simulator.mjs',
  );
  const common = {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  };
  await build({ ...serverBuildOptions(ROOT), outfile: MAIN });
  await build({
    ...common,
    entryPoints: [join(ROOT, 'bench/simulator.ts')],
    outfile: join(BUILD, 'simulator.mjs'),
  });
}

function gatewayEnv(simUrl, extra = {}) {
  return {
    LOG_LEVEL: 'warn',
    ...(process.env.BENCH_GW_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_GW_NODE_OPTIONS } : {}),
    COZE_BASE_URL: simUrl,
    COZE_PAT: PAT,
    COZE_BOT_ID: BOT_ID,
    RATE_LIMIT_USER: RATE,
    RATE_LIMIT_IP: RATE,
    RATE_LIMIT_APP: RATE,
    RATE_LIMIT_SESSIONS_PER_IP: RATE,
    MAX_CONVERSATIONS_PER_USER: '100000',
    // The load comes from one address (and few users): open streams are not what is measured.
    MAX_STREAMS_PER_USER: '1000000',
    MAX_STREAMS_PER_ADDRESS: '1000000',
    ...extra,
  };
}

const LEDGER_LABEL = { sqlite: 'gateway (SQLite)', postgres: 'gateway (PostgreSQL + Redis)' };

/** One closed-loop window against a target; CPU of `cpuPid` over the measured window. */
async function window(load, target, concurrency, stream, message = CFG.message, staggerMs = 0) {
  let cpuStart;
  let cpuEnd;
  const onWindow = (m) => {
    if (m.type !== 'window' || !target.cpuPid) return;
    if (m.phase === 'start') cpuStart = cpuSeconds(target.cpuPid);
    else cpuEnd = cpuSeconds(target.cpuPid);
  };
  load.onMessage(onWindow);
  const r = await load.call('loop', {
    name: target.name,
    kind: target.kind,
    origin: target.url,
    pat: PAT,
    concurrency,
    durationMs: CFG.durationMs,
    warmupMs: CFG.warmupMs + staggerMs,
    staggerMs,
    message,
    stream,
  });
  load.offMessage(onWindow);
  const cpu = cpuStart !== undefined && cpuEnd !== undefined ? cpuEnd - cpuStart : undefined;
  const row = summarize(r, { target: target.label, name: target.name, concurrency, cpuSeconds: cpu });
  const err = Object.keys(row.errors).length ? ` errors ${JSON.stringify(row.errors)}` : '';
  log(
    `  ${target.label.padEnd(30)} c=${String(concurrency).padStart(4)} ${row.throughput.toFixed(0).padStart(6)} turns/s` +
      `  answer p50 ${row.latency.p50.toFixed(1)} p99 ${row.latency.p99.toFixed(1)} ms` +
      (stream ? `  first delta p50 ${row.ttfd.p50.toFixed(2)} p99 ${row.ttfd.p99.toFixed(2)} ms` : '') +
      (row.cpuPer1000 !== undefined ? `  cpu ${row.cpuPer1000.toFixed(2)} s/1000` : '') +
      err,
  );
  return row;
}

async function throughputScenarios(results, load, backends) {
  log('throughput: starting the simulator, nginx and two gateways');
  const sim = await startSimulator({ deltaDelayMs: CFG.deltaDelayMs, chunkChars: CFG.chunkChars });
  const nginx = TARGETS.includes('nginx') ? await startNginx(sim.url) : null;
  if (!nginx && TARGETS.includes('nginx')) {
    log(`nginx is missing (${NGINX}): the nginx column is skipped. Install it: apt-get install nginx-light`);
    results.notes.push(
      'nginx was not installed: the nginx column was skipped (apt-get install nginx-light).',
    );
  }
  const nodeProxy = TARGETS.includes('node') ? await startNodeProxy(sim.url) : null;
  const profDir = PROFILE ? ensureDir(join(BUILD, 'profiles')) : undefined;
  const gateways = [];
  try {
    for (const ledger of ['sqlite', 'postgres'].filter((l) => TARGETS.includes(l))) {
      const env = gatewayEnv(sim.url, await backends.env(ledger));
      gateways.push({
        ledger,
        gw: await startGateway(env, { cpuProfDir: profDir, label: `throughput-${ledger}` }),
      });
    }
    const targets = [
      ...(TARGETS.includes('direct')
        ? [{ name: 'direct', label: 'direct', kind: 'coze', url: sim.url, cpuPid: sim.pid }]
        : []),
      ...(nginx ? [{ name: 'nginx', label: 'nginx', kind: 'coze', url: nginx.url, cpuPid: nginx.pid }] : []),
      ...(nodeProxy
        ? [{ name: 'node', label: 'Node.js proxy', kind: 'coze', url: nodeProxy.url, cpuPid: nodeProxy.pid }]
        : []),
      ...gateways.map(({ ledger, gw }) => ({
        name: `gw-${ledger}`,
        label: LEDGER_LABEL[ledger],
        kind: 'gateway',
        url: gw.url,
        cpuPid: gw.pid,
      })),
    ];
    const maxUsers = Math.max(...CFG.levels, CFG.syncConcurrency);
    for (const t of targets) {
      const p = await load.call('prepare', {
        name: t.name,
        kind: t.kind,
        origin: t.url,
        pat: PAT,
        n: maxUsers,
        message: CFG.message,
      });
      log(`  ${t.label}: ${p.users} users ready in ${p.ms.toFixed(0)} ms`);
    }
    if (want('stream')) {
      log('streamed chat: first delta and full answer, closed loop, by concurrency');
      for (const c of CFG.levels) {
        // Targets interleaved per level, so drift in the machine's other load hits all alike.
        for (const t of targets) results.stream.push(await window(load, t, c, true));
      }
    }
    if (want('stream')) {
      log(
        `paced streamed chat: ${CFG.pacedConcurrency} streams, ${CFG.pacedDeltaDelayMs} ms between deltas (Coze's pace; the machine is not saturated)`,
      );
      await sim.faults({ deltaDelayMs: CFG.pacedDeltaDelayMs });
      for (const t of targets) {
        results.paced.push(
          await window(load, t, CFG.pacedConcurrency, true, CFG.pacedMessage, CFG.pacedStaggerMs),
        );
      }
      await sim.resetFaults();
    }
    if (want('sync')) {
      log(
        `sync chat (gateway POST /v1/chat; direct and nginx read the same upstream stream to its end), c=${CFG.syncConcurrency}`,
      );
      for (const t of targets) results.sync.push(await window(load, t, CFG.syncConcurrency, false));
    }
    for (const { gw, ledger } of gateways)
      results.gatewayRssAfterThroughputMiB[ledger] = rssBytes(gw.pid) / 2 ** 20;
    for (const { gw, ledger } of gateways) {
      const warnings = {};
      for (const line of gw.output().split('\n')) {
        const m = /"msg":"([^"]*)"/.exec(line);
        if (m) warnings[m[1]] = (warnings[m[1]] ?? 0) + 1;
      }
      results.gatewayLogMessages[ledger] = warnings;
      if (Object.keys(warnings).length) log(`  ${LEDGER_LABEL[ledger]} logged: ${JSON.stringify(warnings)}`);
    }
    const st = await sim.stats();
    results.simulatorStats = {
      chats: st.chats,
      busy4016: st.busy4016,
      requests: st.requests,
      conversationsCreated: st.conversationsCreated,
    };
    if (st.busy4016)
      log(`  the simulator answered 4016 (conversation busy) ${st.busy4016} times of ${st.chats} chats`);
  } finally {
    for (const { gw } of gateways) await gw.stop();
    await nginx?.stop();
    await nodeProxy?.stop();
    await sim.stop();
  }
}

/** nodejs_heap_size_used_bytes and nodejs_external_memory_bytes of a gateway's /metrics. */
async function gatewayHeap(url) {
  const text = await fetch(`${url}/metrics`).then((r) => r.text(), () => '');
  const value = (name) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { heapUsed: value('nodejs_heap_size_used_bytes'), external: value('nodejs_external_memory_bytes') };
}

async function openStreams(results, load, backends) {
  const limit = fdLimit();
  for (const ledger of CFG.openLedgers) {
    for (const { n: wanted, http2 } of CFG.openRuns) {
      // Over HTTP/1.1 the gateway holds two sockets per open stream (browser side, Coze side);
      // over HTTP/2 one, and a Coze connection per 100 streams.
      const maxStreams = http2 ? limit - 300 : Math.floor((limit - 200) / 2);
      const n = Math.min(wanted, maxStreams);
      if (n < wanted) {
        const note = `${wanted} open streams over HTTP/1.1 need about ${wanted * 2 + 100} descriptors in the gateway; the limit here is ${limit} (ulimit -n, hard limit not raisable in this container): measured ${n}. With COZE_HTTP2 (one socket per stream) the full count is measured.`;
        if (!results.notes.includes(note)) results.notes.push(note);
      }
      const upstream = http2 ? 'HTTP/2' : 'HTTP/1.1';
      log(`open streams: ${LEDGER_LABEL[ledger]}, ${n} idle streams, ${upstream} to Coze`);
      const sim = await startSimulator({ deltaDelayMs: CFG.openDeltaDelayMs, chunkChars: CFG.chunkChars });
      const env = { ...(await backends.env(ledger)), ...(http2 ? { COZE_HTTP2: 'true' } : {}) };
      const gw = await startGateway(gatewayEnv(sim.url, env));
      const name = `open-${ledger}-${wanted}-${upstream}`;
      try {
        await load.call('prepare', { name, kind: 'gateway', origin: gw.url, n, sessionsOnly: true });
        // A few complete turns first, so lazily compiled code and pools are in place.
        await sim.faults({ deltaDelayMs: 0 });
        await load.call('prepare', {
          name: `${name}-warm`,
          kind: 'gateway',
          origin: gw.url,
          n: 20,
          message: CFG.message,
        });
        await sim.faults({ deltaDelayMs: CFG.openDeltaDelayMs });
        await sleep(500);
        const before = rssBytes(gw.pid);
        const cpu0 = [cpuSeconds(gw.pid), cpuSeconds(sim.pid), cpuSeconds(load.pid)];
        const o = await load.call('open', { name, origin: gw.url, n, message: '#long 3' });
        const cpu = [cpuSeconds(gw.pid), cpuSeconds(sim.pid), cpuSeconds(load.pid)].map(
          (x, i) => x - cpu0[i],
        );
        await sleep(1500);
        const during = rssBytes(gw.pid);
        const heap = await gatewayHeap(gw.url);
        const row = {
          target: LEDGER_LABEL[ledger],
          upstream,
          cozeConnections: (await sim.stats()).connections,
          requested: wanted,
          streams: o.opened,
          openMs: o.ms,
          errors: o.errors,
          rssBeforeMiB: before / 2 ** 20,
          rssOpenMiB: during / 2 ** 20,
          perStreamKB: o.opened ? (during - before) / 1000 / o.opened : NaN,
          // V8's heap and memory outside it (buffers, native), from the gateway's /metrics.
          heapUsedMiB: heap.heapUsed / 2 ** 20,
          externalMiB: heap.external / 2 ** 20,
          openCpuSeconds: { gateway: cpu[0], simulator: cpu[1], loadClient: cpu[2] },
        };
        results.open.push(row);
        log(
          `  ${row.streams} open in ${(o.ms / 1000).toFixed(1)} s: RSS ${row.rssBeforeMiB.toFixed(0)} -> ${row.rssOpenMiB.toFixed(0)} MiB, ` +
            `${row.perStreamKB.toFixed(1)} KB per stream (opening took CPU s: gateway ${cpu[0].toFixed(1)}, simulator ${cpu[1].toFixed(1)}, load client ${cpu[2].toFixed(1)})${Object.keys(o.errors).length ? ` errors ${JSON.stringify(o.errors)}` : ''}`,
        );
        await load.call('close', { name });
      } finally {
        await load.call('forget', { name });
        await load.call('forget', { name: `${name}-warm` });
        await gw.stop();
        await sim.stop();
      }
    }
  }
}

async function coldStart(results, backends) {
  const sim = await startSimulator({ deltaDelayMs: CFG.deltaDelayMs, chunkChars: CFG.chunkChars });
  try {
    for (const ledger of ['sqlite', 'postgres']) {
      const env = gatewayEnv(sim.url, await backends.env(ledger));
      // The first start makes the database (migrations); the measured starts find it in place.
      const first = await startGateway(env);
      await first.stop();
      const runs = [];
      for (let i = 0; i < CFG.coldRuns; i++) {
        const gw = await startGateway(env);
        runs.push(gw.readyMs);
        await gw.stop();
      }
      const sorted = [...runs].sort((a, b) => a - b);
      const row = {
        target: LEDGER_LABEL[ledger],
        firstStartMs: first.readyMs,
        runsMs: runs,
        medianMs: sorted[Math.floor(sorted.length / 2)],
      };
      results.cold.push(row);
      log(
        `cold start ${row.target}: median ${row.medianMs.toFixed(0)} ms (runs ${runs.map((r) => r.toFixed(0)).join(', ')}; first start with migrations ${first.readyMs.toFixed(0)} ms)`,
      );
    }
  } finally {
    await sim.stop();
  }
}

async function tokenStorm(results, load, backends) {
  const keys = ensureDir(join(BUILD, 'keys'));
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(keys, 'public_key.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(keys, 'private_key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
  });
  for (const ledger of ['sqlite', 'postgres']) {
    const sim = await startSimulator({
      deltaDelayMs: CFG.deltaDelayMs,
      chunkChars: CFG.chunkChars,
      publicKeyFile: join(keys, 'public_key.pem'),
    });
    const env = gatewayEnv(sim.url, {
      ...(await backends.env(ledger)),
      COZE_PAT: '',
      COZE_CLIENT_ID: '1100000000042',
      COZE_KEY_ID: 'bench-key',
      COZE_PRIVATE_KEY_FILE: join(keys, 'private_key.pem'),
    });
    const gw = await startGateway(env);
    const name = `storm-${ledger}`;
    try {
      await load.call('prepare', {
        name,
        kind: 'gateway',
        origin: gw.url,
        n: CFG.stormUsers,
        sessionsOnly: true,
      });
      await sim.resetStats();
      const cpu0 = cpuSeconds(gw.pid);
      const r = await load.call('storm', { name, origin: gw.url, n: CFG.stormUsers, message: CFG.message });
      const cpu = cpuSeconds(gw.pid) - cpu0;
      const stats = await sim.stats();
      const s = summarize(
        { turns: r.ok, elapsedMs: NaN, errors: r.errors, ttfd: r.ttfd, total: r.total },
        { target: LEDGER_LABEL[ledger] },
      );
      const row = {
        target: LEDGER_LABEL[ledger],
        users: CFG.stormUsers,
        ok: r.ok,
        errors: r.errors,
        firstDelta: s.ttfd,
        answer: s.latency,
        exchanges: stats.tokenExchanges,
        conversationsCreated: stats.conversationsCreated,
        cpuSeconds: cpu,
      };
      results.storm.push(row);
      log(
        `token storm ${row.target}: ${row.ok}/${row.users} answered, first delta p50 ${row.firstDelta.p50.toFixed(0)} p99 ${row.firstDelta.p99.toFixed(0)} ms, ` +
          `answer p50 ${row.answer.p50.toFixed(0)} p99 ${row.answer.p99.toFixed(0)} ms, ${row.exchanges} token exchanges`,
      );
    } finally {
      await load.call('forget', { name });
      await gw.stop();
      await sim.stop();
    }
  }
}

async function recovery(results, load, backends) {
  const { threshold, cooldownMs } = CFG.breaker;
  const sim = await startSimulator({ deltaDelayMs: CFG.deltaDelayMs, chunkChars: CFG.chunkChars });
  const gw = await startGateway(
    gatewayEnv(sim.url, {
      ...(await backends.env('sqlite')),
      BREAKER_THRESHOLD: String(threshold),
      BREAKER_COOLDOWN_MS: String(cooldownMs),
    }),
  );
  const name = 'recovery';
  const runs = [];
  try {
    await load.call('prepare', { name, kind: 'gateway', origin: gw.url, n: 1, message: CFG.message });
    for (let i = 0; i < CFG.recoveryRuns; i++) {
      // Coze is down (every request 502) long enough for the circuit to open and a probe to fail.
      await sim.faults({ http5xxCount: 1_000_000, http5xxStatus: 502 });
      const probing = load.call('recover', {
        name,
        origin: gw.url,
        gapMs: 20,
        message: CFG.message,
        timeoutMs: 60_000,
      });
      // Heal at a different phase of the cooldown each run.
      await sleep(cooldownMs * 1.5 + (i * cooldownMs) / CFG.recoveryRuns);
      await sim.resetFaults();
      const healedAt = Date.now();
      await load.call('heal', { at: healedAt });
      const { outcomes } = await probing;
      const failures = outcomes.filter((o) => !o.ok);
      const codes = {};
      for (const f of failures) codes[f.code] = (codes[f.code] ?? 0) + 1;
      const success = outcomes.find((o) => o.ok && o.endedAt >= healedAt);
      const ms = success ? success.endedAt - healedAt : NaN;
      runs.push({ recoveryMs: ms, failuresDuringOutage: codes });
      log(
        `recovery run ${i + 1}: first answer ${ms} ms after Coze healed (outage answers: ${JSON.stringify(codes)})`,
      );
      await sleep(200);
    }
  } finally {
    await load.call('forget', { name });
    await gw.stop();
    await sim.stop();
  }
  const sorted = runs.map((r) => r.recoveryMs).sort((a, b) => a - b);
  results.recovery = {
    breaker: CFG.breaker,
    runs,
    medianMs: sorted[Math.floor(sorted.length / 2)],
    maxMs: sorted.at(-1),
  };
}

async function main() {
  const results = {
    machine: await machine(),
    config: CFG,
    notes: [],
    stream: [],
    paced: [],
    sync: [],
    open: [],
    cold: [],
    storm: [],
    recovery: null,
    gatewayRssAfterThroughputMiB: {},
    gatewayLogMessages: {},
  };
  log(
    `${QUICK ? 'quick' : 'full'} run on ${results.machine.nproc} cores, ${results.machine.memoryGiB} GiB, node ${results.machine.node}, fd limit ${results.machine.fdLimit}`,
  );
  await buildAll();
  const backends = new Backends();
  const load = startLoad();
  await load.ready;
  try {
    if (want('stream') || want('sync')) await throughputScenarios(results, load, backends);
    if (want('cold')) await coldStart(results, backends);
    if (want('storm')) await tokenStorm(results, load, backends);
    if (want('recovery')) await recovery(results, load, backends);
    if (want('open')) await openStreams(results, load, backends);
  } finally {
    load.stop();
    await backends.cleanup().catch((e) => log(`cleanup failed: ${e.message}`));
  }
  results.durationSeconds = (performance.now() - t0) / 1000;
  const out = ensureDir(join(ROOT, 'bench/results'));
  // Quick and partial runs never overwrite the full run's results.
  const suffix = ONLY ? '-partial' : QUICK ? '-quick' : '';
  writeFileSync(join(out, `latest${suffix}.json`), `${JSON.stringify(results, null, 2)}\n`);
  const md = renderMarkdown(results);
  writeFileSync(join(out, `latest${suffix}.md`), md);
  writeFileSync(join(out, `latency${suffix}.svg`), renderSvg(results));
  process.stdout.write(`\n${md}\n`);
  log(
    `wrote bench/results/latest${suffix}.md, latest${suffix}.json, latency${suffix}.svg in ${results.durationSeconds.toFixed(0)} s`,
  );
}

main().then(
  () => process.exit(0),
  (e) => {
    log(`failed: ${e.stack ?? e}`);
    process.exit(1);
  },
);
